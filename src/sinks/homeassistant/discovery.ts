/**
 * Home Assistant MQTT discovery messages, as pure functions (Home Assistant's MQTT discovery
 * docs, home-assistant.io/integrations/mqtt/#mqtt-discovery).
 *
 * One device-based message per plug, `<ha>/device/<id>/config`, retained: `dev` (the plug),
 * `o` (us), `cmps` (one component per field the plug has) and a shared `availability` that needs
 * both the collector (`<p>/bridge/state`) and the plug (`<p>/<name>/availability`) online.
 * Every component reads the retained JSON state `<p>/<name>` through a `value_template`.
 *
 * `<id>` and every `unique_id` come from the plug's MAC (else its deviceId), never its address
 * or name: a plug that moves to another IP or is renamed stays the same device in HA.
 *
 * State classes: HA's `total_increasing` is "a monotonically increasing value which periodically
 * restarts counting from 0" — a drop is a new meter cycle, not a negative consumption. That fits
 * both counters: the since-boot `energy` (it restarts when the plug reboots) and the lifetime
 * `energy_total` (it never drops). The Energy dashboard should use `energy_total`, so the
 * since-boot sensor is a diagnostic entity, disabled by default: a disabled entity records no
 * statistics and is not offered by the dashboard. Signal strength follows HA's own integrations
 * the same way (diagnostic, disabled by default). Both can be enabled in HA's entity settings.
 *
 * The relay: with `devices[].control` a `switch` (it needs a `command_topic`); without, a
 * read-only `binary_sensor` of device class `power` ("on means power detected", HA's binary
 * sensor docs), so the state the collector reads every tick is shown either way. The two have
 * different component keys, so turning `control` on or off replaces one entity by the other
 * (HA removes a component a device-based config no longer lists).
 */
import type { DeviceInfo, MeasurementField, Reading } from '../../reading.js';
import { MEASUREMENT_FIELDS } from '../../reading.js';
import type { MqttMessage } from '../mqtt/topics.js';
import { BRIDGE_LEVEL, topicPath } from '../mqtt/topics.js';

/** Where a discovery message points: both prefixes and our version for `o`. */
export interface DiscoveryContext {
  /** `homeassistant.prefix`. */
  haPrefix: string;
  /** `mqtt.topicPrefix`. */
  topicPrefix: string;
  /** kasa-collector's version, for `o.sw`. */
  version: string;
}

/** What HA needs to present one sensor field. */
interface SensorSpec {
  name: string;
  device_class: string;
  state_class: 'measurement' | 'total_increasing';
  unit_of_measurement: string;
  entity_category?: 'diagnostic';
  /** False: HA creates the entity disabled (the user may enable it). */
  enabled_by_default?: false;
}

/** The sensor of each numeric field; `state` becomes a switch (with control) or a binary sensor. */
export const SENSORS: Readonly<Record<Exclude<MeasurementField, 'state'>, SensorSpec>> = {
  power: {
    name: 'Power',
    device_class: 'power',
    state_class: 'measurement',
    unit_of_measurement: 'W',
  },
  energy: {
    name: 'Energy since boot',
    device_class: 'energy',
    state_class: 'total_increasing',
    unit_of_measurement: 'kWh',
    entity_category: 'diagnostic',
    enabled_by_default: false,
  },
  energy_total: {
    name: 'Energy',
    device_class: 'energy',
    state_class: 'total_increasing',
    unit_of_measurement: 'kWh',
  },
  voltage: {
    name: 'Voltage',
    device_class: 'voltage',
    state_class: 'measurement',
    unit_of_measurement: 'V',
  },
  current: {
    name: 'Current',
    device_class: 'current',
    state_class: 'measurement',
    unit_of_measurement: 'A',
  },
  rssi: {
    name: 'Signal strength',
    device_class: 'signal_strength',
    state_class: 'measurement',
    unit_of_measurement: 'dBm',
    entity_category: 'diagnostic',
    enabled_by_default: false,
  },
};

/** The origin block: who published the discovery message. */
export const ORIGIN_NAME = 'kasa-collector';

/**
 * The stable discovery id: `kasa_` + the MAC's hex digits (lower case), else the deviceId, else
 * the device name; a strip's outlet adds `_outlet<n>` (its position). Only `[a-z0-9_]`, as HA
 * wants for topic ids.
 * @param reading a reading of the device (its identity)
 */
export function discoveryId(reading: Pick<Reading, 'identity' | 'device'>): string {
  const { mac, deviceId } = reading.identity;
  const raw = mac ?? deviceId ?? reading.device.name;
  const id = raw.toLowerCase().replace(/[^a-z0-9]/g, mac !== undefined ? '' : '_');
  const { outlet } = reading.device;
  return outlet === undefined ? `kasa_${id}` : `kasa_${id}_outlet${outlet.position}`;
}

/** `<haPrefix>/device/<id>/config`. */
export function discoveryTopic(haPrefix: string, id: string): string {
  return `${haPrefix}/device/${id}/config`;
}

/**
 * Whether a device has anything to show in HA: a sensor field, or a relay (a switch with
 * `control`, else a binary sensor once a `state` was read; never on a strip itself, whose
 * relays are its outlets'). An empty `cmps` would make an empty device.
 * @param reading the device (control, outletCount)
 * @param fields the fields it has had so far
 */
export function hasComponents(
  reading: Pick<Reading, 'device' | 'outletCount'>,
  fields: ReadonlySet<MeasurementField>,
): boolean {
  if (relayComponent(reading, fields) !== undefined) return true;
  return [...fields].some((f) => f !== 'state');
}

/**
 * Which entity shows the relay: `switch` with `control`, `binary_sensor` without (once a `state`
 * was read), none on a strip itself.
 */
function relayComponent(
  reading: Pick<Reading, 'device' | 'outletCount'>,
  fields: ReadonlySet<MeasurementField>,
): 'switch' | 'binary_sensor' | undefined {
  if (reading.outletCount !== undefined) return undefined;
  if (reading.device.control === true) return 'switch';
  return fields.has('state') ? 'binary_sensor' : undefined;
}

/**
 * The retained discovery message of one device. A strip's outlet is its own HA device, linked
 * to the strip by `via_device` (and without the strip's MAC in `connections`, which would make
 * HA merge them); a strip itself gets no relay switch (its relays are its outlets').
 * @param reading its latest reading (identity, name, control, outlet)
 * @param fields the fields the device has had so far: one sensor each (`state` as a switch
 *   with `device.control`, else as a binary sensor)
 * @param ctx prefixes and version
 */
export function discoveryMessage(
  reading: Pick<Reading, 'identity' | 'device' | 'outletCount'>,
  fields: ReadonlySet<MeasurementField>,
  ctx: DiscoveryContext,
): MqttMessage {
  const id = discoveryId(reading);
  const { identity, device } = reading;
  const state = `${ctx.topicPrefix}/${topicPath(device)}`;
  const cmps: Record<string, Record<string, unknown>> = {};
  for (const field of MEASUREMENT_FIELDS) {
    if (field === 'state' || !fields.has(field)) continue;
    cmps[field] = {
      p: 'sensor',
      unique_id: `${id}_${field}`,
      ...SENSORS[field],
      state_topic: state,
      value_template: `{{ value_json.${field} }}`,
    };
  }
  const relay = relayComponent(reading, fields);
  if (relay === 'switch') cmps['relay'] = switchComponent(id, state);
  else if (relay === 'binary_sensor') cmps['relay_state'] = relayStateComponent(id, state);
  const dev: Record<string, unknown> = {
    identifiers: [id],
    name: identity.alias ?? device.outlet?.name ?? device.name,
    manufacturer: 'TP-Link',
  };
  if (device.outlet !== undefined) {
    dev['via_device'] = discoveryId({ identity, device: { ...device, outlet: undefined } });
  } else if (identity.mac !== undefined) {
    dev['connections'] = [['mac', identity.mac.toLowerCase()]];
  }
  if (identity.model !== undefined) dev['model'] = identity.model;
  if (identity.sw_ver !== undefined) dev['sw_version'] = identity.sw_ver;
  if (identity.hw_ver !== undefined) dev['hw_version'] = identity.hw_ver;
  const payload = {
    dev,
    o: { name: ORIGIN_NAME, sw: ctx.version },
    cmps,
    availability: availabilityOf(device, ctx.topicPrefix),
    availability_mode: 'all',
  };
  return {
    topic: discoveryTopic(ctx.haPrefix, id),
    payload: JSON.stringify(payload),
    retain: true,
  };
}

/** The relay as a switch: state from the JSON state, commands to `<p>/<name>/set`. */
function switchComponent(id: string, state: string): Record<string, unknown> {
  return {
    p: 'switch',
    unique_id: `${id}_relay`,
    name: 'Relay',
    state_topic: state,
    value_template: '{{ value_json.state }}',
    command_topic: `${state}/set`,
    payload_on: 'ON',
    payload_off: 'OFF',
  };
}

/** The relay without control: read-only, `on` while the relay is closed (power to the outlet). */
function relayStateComponent(id: string, state: string): Record<string, unknown> {
  return {
    p: 'binary_sensor',
    unique_id: `${id}_relay_state`,
    name: 'Relay',
    device_class: 'power',
    state_topic: state,
    value_template: '{{ value_json.state }}',
    payload_on: 'ON',
    payload_off: 'OFF',
  };
}

/** Both availability topics; with `availability_mode: all` the plug is available only when both say `online`. */
function availabilityOf(device: DeviceInfo, prefix: string): { topic: string }[] {
  return [
    { topic: `${prefix}/${BRIDGE_LEVEL}/state` },
    { topic: `${prefix}/${topicPath(device)}/availability` },
  ];
}

/** The empty retained message that makes HA remove a device (and the broker forget its config). */
export function removalMessage(topic: string): MqttMessage {
  return { topic, payload: '', retain: true };
}
