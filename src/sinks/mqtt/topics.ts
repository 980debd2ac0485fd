/**
 * Topics and payloads of the MQTT sink, as pure functions (no client, no I/O).
 *
 * Layout (zigbee2mqtt's, see its "MQTT Topics and Messages" guide, so users' existing habits
 * and HA templates fit; docs/mqtt-and-home-assistant.md):
 * - `<p>/<name>`              JSON state, retained:
 *   `{"time":s,"power":W,"energy":kWh,"energy_total":kWh,"voltage":V,"current":A,
 *   "state":"ON"|"OFF","rssi":dBm}` (`energy` since the plug booted, `energy_total` lifetime)
 * - `<p>/<name>/<field>`      one plain value per present field, not retained (emonhub's and
 *   emonCMS's `emon/<node>/<name>` style, emonhub's `EmonHubMqttInterfacer.py`)
 *   `mqtt.output` picks the JSON state, the per-field values or both (`reading-encoder.ts`).
 * - `<p>/<name>/info`         JSON identity + address, retained, published on change only
 * - `<p>/<name>/availability` `online` | `offline`, retained
 * - `<p>/bridge/state`        `online` | `offline`, retained; `offline` is also the last will
 *
 * A field the reading lacks is left out, never published as 0 (a 0 energy total looks like a
 * meter reset to Home Assistant: docs/protocol.md#energy-since-boot).
 */
import type { DeviceInfo, Measurement, MeasurementField, Reading } from '../../reading.js';
import { MEASUREMENT_FIELDS } from '../../reading.js';
import { roundTo } from './decimals.js';

/**
 * The topic levels of a device below the prefix: its name, or `<strip>/<outlet>` for a strip's
 * outlet (names are topic-safe: `reading.ts` `NAME_PATTERN`).
 * @param device a device or outlet
 * @returns e.g. `fridge`, `office_strip/kettle`
 */
export function topicPath(device: DeviceInfo): string {
  return device.outlet === undefined ? device.name : `${device.name}/${device.outlet.name}`;
}

/** One message to publish. QoS is the sink's business, not the topic layout's. */
export interface MqttMessage {
  topic: string;
  /** UTF-8 text: JSON, a plain number, `ON`/`OFF` or `online`/`offline`. */
  payload: string;
  retain: boolean;
}

/**
 * Decimal places kept per numeric field. Enough for what the plugs measure (unit-suffixed
 * firmware reports integer mV, mA, mW and Wh, i.e. 3 decimals in V, A, W and kWh; legacy
 * firmware sends floats with binary noise such as `0.30000000000000004`), without publishing
 * that noise. Energy keeps 6 decimals so no Wh (3 decimals of kWh) is ever lost; so does the
 * lifetime `energy_total`, a sum of many such steps.
 */
export const PUBLISH_DECIMALS: Readonly<Record<Exclude<MeasurementField, 'state'>, number>> = {
  power: 3,
  energy: 6,
  energy_total: 6,
  voltage: 3,
  current: 4,
  rssi: 0,
};

/** Reserved level under the prefix for the collector's own topics (zigbee2mqtt's `bridge`). */
export const BRIDGE_LEVEL = 'bridge';

// MQTT 3.1.1 §4.7: `+` and `#` are wildcards, U+0000 is forbidden; §1.5.3: control characters
// SHOULD NOT appear and strings must be well-formed UTF-8 (no lone surrogates).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function hasBadTopicChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b || c === 0x23 || c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return LONE_SURROGATE.test(s);
}

/**
 * Prefixes and names already found valid: the checks run on every reading, and the strings are
 * few and the same from poll to poll. Each set is cleared when it reaches {@link CHECKED_MAX},
 * so names that churn cannot grow it without bound.
 */
const validPrefixes = new Set<string>();
const validLevels = new Set<string>();
const CHECKED_MAX = 10_000;

function remember(set: Set<string>, s: string): void {
  if (set.size >= CHECKED_MAX) set.clear();
  set.add(s);
}

/**
 * Checks the configured topic prefix: one or more non-empty levels separated by `/`, no
 * wildcard, NUL or control character, not starting with `$` (MQTT 3.1.1 §4.7.2: `$` topics are
 * the broker's and `#` subscriptions do not match them).
 * @param prefix e.g. `kasa` or `home/kasa`
 * @throws Error naming the prefix and the rule it breaks
 */
export function assertTopicPrefix(prefix: string): void {
  if (validPrefixes.has(prefix)) return;
  const why =
    prefix === ''
      ? 'is empty'
      : prefix.split('/').some((level) => level === '')
        ? 'has an empty level (leading, trailing or double "/")'
        : hasBadTopicChar(prefix)
          ? 'contains "+", "#", NUL, a control character or invalid UTF-16'
          : prefix.startsWith('$')
            ? 'starts with "$" (reserved for the broker)'
            : Buffer.byteLength(prefix) > 1024
              ? 'is longer than 1024 bytes'
              : undefined;
  if (why !== undefined) throw new Error(`MQTT topic prefix ${JSON.stringify(prefix)} ${why}`);
  remember(validPrefixes, prefix);
}

/**
 * Checks that a device name is usable as ONE topic level. Names are slugified upstream
 * (`src/collector/naming.ts`); this is the last line of defence so a plug can never inject `/`, `+` or
 * `#` into a topic, nor take the reserved `bridge` level (its `state` field would collide with
 * `<p>/bridge/state`).
 * @param device the device whose `name` is checked
 * @throws Error naming the device (name, host and port) and the rule it breaks
 */
export function assertDeviceName(device: DeviceInfo): void {
  assertLevel(device, device.name);
  if (device.outlet !== undefined) assertLevel(device, device.outlet.name);
}

function assertLevel(device: DeviceInfo, name: string): void {
  if (validLevels.has(name)) return;
  const why =
    name === ''
      ? 'is empty'
      : name.includes('/') || hasBadTopicChar(name)
        ? 'contains "/", "+", "#", NUL, a control character or invalid UTF-16'
        : name === BRIDGE_LEVEL
          ? `is reserved ("${BRIDGE_LEVEL}" holds the collector's own state)`
          : Buffer.byteLength(name) > 1024
            ? 'is longer than 1024 bytes'
            : undefined;
  if (why !== undefined) {
    throw new Error(
      `device ${device.host}:${device.port}${device.outlet ? ` outlet ${device.outlet.position}` : ''}: ` +
        `name ${JSON.stringify(name)} ${why}; ` +
        'it cannot be an MQTT topic level',
    );
  }
  remember(validLevels, name);
}

/** The present fields of `values`, rounded, in publishing order; non-finite numbers are left out. */
function presentFields(values: Measurement): [MeasurementField, number | string][] {
  const out: [MeasurementField, number | string][] = [];
  for (const field of MEASUREMENT_FIELDS) {
    if (field === 'state') {
      if (values.state !== undefined) out.push([field, values.state]);
      continue;
    }
    const v = values[field];
    if (typeof v === 'number' && Number.isFinite(v)) {
      out.push([field, roundTo(v, PUBLISH_DECIMALS[field])]);
    }
  }
  return out;
}

/**
 * The per-tick messages of one reading: the retained JSON state, then one plain value per
 * present field (not retained), in {@link MEASUREMENT_FIELDS} order. The reference the sink's
 * `ReadingEncoder` (`reading-encoder.ts`) is tested against; `mqtt.output`
 * `json_and_attributes`.
 * @param reading a normalized reading (V, A, W, kWh, dBm)
 * @param prefix topic prefix, e.g. `kasa`
 * @returns e.g. `kasa/fridge` → `{"time":1700000000,"power":12.5,...}`, `kasa/fridge/power` → `12.5`
 * @throws Error when the prefix or the device name is not a valid topic level
 */
export function readingMessages(reading: Reading, prefix: string): MqttMessage[] {
  assertTopicPrefix(prefix);
  assertDeviceName(reading.device);
  const base = `${prefix}/${topicPath(reading.device)}`;
  const fields = presentFields(reading.values);
  const json: Record<string, number | string> = { time: reading.time };
  for (const [field, value] of fields) json[field] = value;
  return [
    { topic: base, payload: JSON.stringify(json), retain: true },
    ...fields.map(([field, value]) => ({
      topic: `${base}/${field}`,
      payload: String(value),
      retain: false,
    })),
  ];
}

/**
 * The retained `<p>/<name>/info` message: the plug's identity (`alias`, `model`, `hw_ver`,
 * `sw_ver`, `mac`, `deviceId`, those present, in that order), for a strip's outlet its
 * `outlet` position (1-based) and child `id` (the alias is the outlet's), then `host`, `port`
 * and `node` (when set). The sink publishes it on a device's first reading and whenever the payload changes.
 * @param reading a reading of the device
 * @param prefix topic prefix
 * @throws Error when the prefix or the device name is not a valid topic level
 */
export function infoMessage(reading: Reading, prefix: string): MqttMessage {
  assertTopicPrefix(prefix);
  assertDeviceName(reading.device);
  const { identity, device } = reading;
  const info: Record<string, string | number> = {};
  for (const key of ['alias', 'model', 'hw_ver', 'sw_ver', 'mac', 'deviceId'] as const) {
    const v = identity[key];
    if (v !== undefined) info[key] = v;
  }
  if (device.outlet !== undefined) {
    info['outlet'] = device.outlet.position;
    info['id'] = device.outlet.id;
  }
  info['host'] = device.host;
  info['port'] = device.port;
  if (device.node !== undefined) info['node'] = device.node;
  return {
    topic: `${prefix}/${topicPath(device)}/info`,
    payload: JSON.stringify(info),
    retain: true,
  };
}

/**
 * The retained `<p>/<name>/availability` message.
 * @param device the device that went online or offline
 * @param prefix topic prefix
 * @param online true → `online`, false → `offline`
 * @throws Error when the prefix or the device name is not a valid topic level
 */
export function availabilityMessage(
  device: DeviceInfo,
  prefix: string,
  online: boolean,
): MqttMessage {
  assertTopicPrefix(prefix);
  assertDeviceName(device);
  return {
    topic: `${prefix}/${topicPath(device)}/availability`,
    payload: online ? 'online' : 'offline',
    retain: true,
  };
}

/**
 * The retained `<p>/bridge/state` message: `online` on every connect, `offline` on a clean
 * stop and, as the last will, when the connection dies.
 * @param prefix topic prefix
 * @param online true → `online`, false → `offline`
 * @throws Error when the prefix is invalid
 */
export function bridgeStateMessage(prefix: string, online: boolean): MqttMessage {
  assertTopicPrefix(prefix);
  return {
    topic: `${prefix}/${BRIDGE_LEVEL}/state`,
    payload: online ? 'online' : 'offline',
    retain: true,
  };
}

/**
 * How readings and availability become messages: this file's layout, or Tasmota's
 * (`../tasmota/topics.ts`), chosen by `mqtt.format`. `info` and `bridge/state` are the same in
 * both.
 */
export interface TopicLayout {
  /** The messages of one reading, in order. @throws Error on an invalid prefix or name */
  readings(reading: Reading, prefix: string): MqttMessage[];
  /** The retained availability message. @throws Error on an invalid prefix or name */
  availability(device: DeviceInfo, prefix: string, online: boolean): MqttMessage;
}

/** The default, zigbee2mqtt-like layout described at the top of this file. */
export const DEFAULT_LAYOUT: TopicLayout = {
  readings: readingMessages,
  availability: availabilityMessage,
};
