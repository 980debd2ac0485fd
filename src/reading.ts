/**
 * What every sink receives: one normalized {@link Reading} per device per tick, in W, V, A, kWh,
 * dBm and "ON"/"OFF", whatever the firmware sent (`kasa/normalize.ts` is the one place that knows
 * the field styles). Also the names devices are published under, and the rules they follow.
 */
/** Relay state as published: zigbee2mqtt's and Home Assistant's "ON"/"OFF". */
export type RelayState = 'ON' | 'OFF';

/**
 * Normalized values of one poll. A field the plug did not send is absent, never 0.
 *
 * The field names are the published ones (MQTT JSON and per-field topics, `emonhub.fields`,
 * Home Assistant templates), hence `state` for the relay: zigbee2mqtt's name, which dashboards
 * and HA templates already use. Everywhere else in the code the relay is called `relay`.
 */
export interface Measurement {
  /** RMS voltage, V. */
  voltage?: number;
  /** RMS current, A. */
  current?: number;
  /** Real power, W (not V·A: power factor < 1 is normal). */
  power?: number;
  /**
   * The plug's own energy counter, kWh: since it booted on IOT plugs (returns to 0 after a power
   * loss), since local midnight on SMART plugs (`today_energy`, returns to 0 every night).
   */
  energy?: number;
  /**
   * Lifetime energy, kWh: never decreases, across plug reboots and collector restarts. Not from
   * the plug (its `total` is since boot, home-assistant/core#40078, #69828) but kept by the
   * collector from `energy`'s positive steps (`src/energy/totals.ts`). This is the value
   * for a Home Assistant `total_increasing` sensor, which reads a drop as a meter reset.
   */
  energy_total?: number;
  /**
   * The relay, from sysinfo `relay_state` (a strip outlet's from its `children[].state`);
   * published as `state` (zigbee2mqtt's field name, kept for compatibility).
   */
  state?: RelayState;
  /** WiFi signal strength, dBm. */
  rssi?: number;
}

/** The names of {@link Measurement}'s fields, in the order they are published. */
export const MEASUREMENT_FIELDS = [
  'power',
  'energy',
  'energy_total',
  'voltage',
  'current',
  'state',
  'rssi',
] as const;

/** One of {@link MEASUREMENT_FIELDS}. */
export type MeasurementField = (typeof MEASUREMENT_FIELDS)[number];

/** What a plug says about itself in sysinfo. Absent fields are left out. */
export interface PlugIdentity {
  alias?: string;
  model?: string;
  hw_ver?: string;
  sw_ver?: string;
  /** `AA:BB:CC:DD:EE:FF` as the plug reports it. */
  mac?: string;
  /** 40-hex device id. */
  deviceId?: string;
  /**
   * How the collector reaches the device, from its transport (`src/kasa/transport/`): `xor` for
   * the XOR protocol on TCP 9999. Not from the plug's reply.
   */
  transport?: string;
}

/**
 * A copy of a reading's values, as a new object with the same fields in the same order, for a
 * step that adds or removes fields. Not `{ ...values }`: on Node 20 adding a property to an
 * object made by spread (or spreading with extra properties, `{ ...values, rssi }`) takes ~1 µs
 * against ~0.1 µs after `Object.assign`, and every poll does it (`energy_total`).
 * @param values any measurement
 * @returns a new object; `values` is not modified
 */
export function copyValues(values: Measurement): Measurement {
  return Object.assign({}, values);
}

/** Every field of {@link PlugIdentity} (the type makes a field added there a compile error here). */
const IDENTITY_FIELDS = Object.keys({
  alias: true,
  model: true,
  hw_ver: true,
  sw_ver: true,
  mac: true,
  deviceId: true,
  transport: true,
} satisfies Record<keyof PlugIdentity, true>) as (keyof PlugIdentity)[];

/**
 * Whether two identities hold the same values (absent and `undefined` alike).
 * @param a an identity
 * @param b another
 */
export function sameIdentity(a: PlugIdentity, b: PlugIdentity): boolean {
  for (let i = 0; i < IDENTITY_FIELDS.length; i++) {
    const f = IDENTITY_FIELDS[i] as keyof PlugIdentity;
    if (a[f] !== b[f]) return false;
  }
  return true;
}

/**
 * A MAC's hex digits, lower case, for ids and names: `AA:BB:CC:DD:EE:FF` and SMART's
 * `AA-BB-CC-DD-EE-FF` both give `aabbccddeeff`. `''` when there is no usable MAC: absent, empty,
 * not 12 hex digits, or all zeros (what some firmware and redacted dumps report), so that no two
 * plugs ever share an id or a name through it.
 * @param mac {@link PlugIdentity.mac} as reported
 */
export function macHex(mac: string | undefined): string {
  const hex = (mac ?? '').replace(/[:-]/g, '').toLowerCase();
  return /^[0-9a-f]{12}$/.test(hex) && !/^0+$/.test(hex) ? hex : '';
}

/*
 * Names. Device and outlet names become MQTT topic levels, so whatever a plug calls itself can
 * never inject `+`, `#`, `/` or control characters into a topic.
 */

/** Pattern every device name matches. */
export const NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;

/**
 * Names a device can never have: `bridge` holds the collector's own `<prefix>/bridge/state`
 * (zigbee2mqtt's convention), which a device's `state` field would otherwise overwrite.
 */
export const RESERVED_NAMES: readonly string[] = ['bridge'];

/**
 * Names an outlet can never have: the levels a device's own topics use below `<prefix>/<name>`
 * (the per-field values, `info`, `availability`, `set`), which an outlet's topics would collide
 * with, and `bridge`, which no topic level may be (`sinks/mqtt/topics.ts` `assertDeviceName`).
 */
export const RESERVED_OUTLET_NAMES: readonly string[] = [
  'bridge',
  ...MEASUREMENT_FIELDS,
  'info',
  'availability',
  'set',
];

/** A configured device as the sinks address it. */
export interface DeviceInfo {
  /** Topic-safe name: configured `name`, else slugified alias, else MAC without colons. */
  name: string;
  host: string;
  /** TCP port, 9999 unless configured. */
  port: number;
  /** emonhub node id, when the device has one. */
  node?: number;
  /** True when the device accepts relay commands (`devices[].control`); absent otherwise. */
  control?: boolean;
  /**
   * Present when this is one outlet of a power strip (HS300, KP303): `name`, `host` and `port`
   * are then the strip's, `node` and `control` the outlet's. Its key is `<strip>/<outlet>`
   * ({@link deviceKey}), and so are its MQTT topic levels.
   */
  outlet?: OutletInfo;
}

/**
 * One outlet of a power strip, from a sysinfo `children[]` entry (`id`, `alias`, `state`;
 * docs/protocol.md#power-strips).
 */
export interface OutletInfo {
  /** Topic-safe name: `devices[].outlets[i].name`, else the slugified child alias, else `outlet_<position>`. */
  name: string;
  /** Position on the strip, 1-based, in `children[]` order (as printed on the strip). */
  position: number;
  /** The child id sent in `"context":{"child_ids":[id]}`. */
  id: string;
}

/**
 * The key that tells devices apart (in sinks' maps, metrics' bookkeeping, logs): a device's
 * name, or `<strip>/<outlet>` for an outlet. Names are unique among devices, and outlet names
 * within their strip, so keys are unique. (MQTT's topic levels happen to read the same:
 * `sinks/mqtt/topics.ts` `topicPath`.)
 * @param device a device or outlet
 * @returns e.g. `fridge`, `office_strip/kettle`
 */
export function deviceKey(device: DeviceInfo): string {
  return device.outlet === undefined ? device.name : `${device.name}/${device.outlet.name}`;
}

/** One normalized reading of one device at one harmonized tick. */
export interface Reading {
  /** The tick, unix seconds: an exact multiple of `poll.interval`, shared by the whole tick. */
  time: number;
  device: DeviceInfo;
  identity: PlugIdentity;
  values: Measurement;
  /** True when sysinfo `feature` advertises `ENE` (an energy meter). */
  hasEmeter: boolean;
  /**
   * Set on a power strip's own reading: its electrical values are the sums over this many
   * outlets (voltage: the outlets' mean), published beside each outlet's reading. Sinks that
   * aggregate (Prometheus `sum()`) skip them so nothing is counted twice.
   */
  outletCount?: number;
}
