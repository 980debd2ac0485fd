/**
 * The one place that knows the plugs' field styles (STYLE.md habit 8; tplink-smarthome-api does
 * the same in `src/shared/emeter.ts`). Everything downstream sees one set of units.
 *
 * Emeter styles (REFERENCE.md §1, seed 003 thread):
 * - legacy, HS110 hw 1.x: `voltage` V, `current` A, `power` W, `total` kWh (floats)
 * - unit-suffixed, HS110 hw 2+, KP115, KP125, HS300, EP25: `voltage_mv` mV, `current_ma` mA,
 *   `power_mw` mW, `total_wh` Wh (integers)
 */

/** Relay state as published: zigbee2mqtt's and Home Assistant's "ON"/"OFF". */
export type RelayState = 'ON' | 'OFF';

/**
 * Normalized values of one poll. A field the plug did not send is absent, never 0.
 */
export interface Measurement {
  /** RMS voltage, V. */
  voltage?: number;
  /** RMS current, A. */
  current?: number;
  /** Real power, W (not V·A: power factor < 1 is normal). */
  power?: number;
  /** Energy since the plug booted, kWh; returns to 0 after a power loss. */
  energy?: number;
  /**
   * Lifetime energy, kWh: never decreases, across plug reboots and collector restarts. Not from
   * the plug (its `total` is since boot, home-assistant/core#40078, #69828) but kept by the
   * collector from `energy`'s positive steps (`src/energy/energy-totals.ts`). This is the value
   * for a Home Assistant `total_increasing` sensor, which reads a drop as a meter reset.
   */
  energy_total?: number;
  /** Relay state from sysinfo `relay_state`. */
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
}

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
   * are then the strip's, `node` and `control` the outlet's. Topics live under
   * `<p>/<strip>/<outlet>` ({@link topicName}).
   */
  outlet?: OutletInfo;
}

/**
 * One outlet of a power strip, from a sysinfo `children[]` entry (REFERENCE.md §1: `id`,
 * `alias`, `state`).
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
 * The topic path of a device below the prefix: its name, or `<strip>/<outlet>` for an outlet.
 * Also the key sinks use to tell devices apart.
 * @param device a device or outlet
 * @returns e.g. `fridge`, `office_strip/kettle`
 */
export function topicName(device: DeviceInfo): string {
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
  outlets?: number;
}

/**
 * Thrown by {@link normalize} when a field the plug sent has the wrong type (a string, `null`,
 * a non-finite number). The caller turns it into a `PLUG_BAD_REPLY` naming the plug.
 */
export class ReplyFieldError extends Error {
  override readonly name = 'ReplyFieldError';
}

type Json = Record<string, unknown>;

const LEGACY = [
  ['voltage', 'voltage', 1],
  ['current', 'current', 1],
  ['power', 'power', 1],
  ['energy', 'total', 1],
] as const;

const SUFFIXED = [
  ['voltage', 'voltage_mv', 1000],
  ['current', 'current_ma', 1000],
  ['power', 'power_mw', 1000],
  ['energy', 'total_wh', 1000],
] as const;

function numberField(obj: Json, key: string, where: string): number | undefined {
  if (!(key in obj)) return undefined;
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ReplyFieldError(
      `${where}.${key} is ${JSON.stringify(v) ?? String(v)}, expected a number`,
    );
  }
  return v;
}

function stringField(obj: Json, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Maps an `emeter.get_realtime` reply of either style to V, A, W and kWh.
 * When a quantity appears in both styles the unit-suffixed one wins (it is the integer the
 * firmware measured; the legacy float is derived from it on firmware that sends both).
 *
 * @param emeter the `get_realtime` object (its `err_code` already checked)
 * @returns voltage, current, power, energy; missing fields are left out
 * @throws ReplyFieldError when a field is present but not a finite number, or when the object
 *   holds none of the eight known fields
 */
export function normalizeEmeter(emeter: Json): Measurement {
  const out: Measurement = {};
  for (const [field, key, div] of SUFFIXED) {
    const v = numberField(emeter, key, 'emeter.get_realtime');
    if (v !== undefined) out[field] = v / div;
  }
  for (const [field, key] of LEGACY) {
    const v = numberField(emeter, key, 'emeter.get_realtime');
    if (v !== undefined && out[field] === undefined) out[field] = v;
  }
  if (Object.keys(out).length === 0) {
    throw new ReplyFieldError('emeter.get_realtime holds no voltage, current, power or energy');
  }
  return out;
}

/**
 * Maps `system.get_sysinfo` to relay state, RSSI and identity.
 *
 * @param sysinfo the `get_sysinfo` object (its `err_code` already checked)
 * @returns `state` from `relay_state` (1 → "ON", 0 → "OFF"), `rssi` in dBm, and identity
 * @throws ReplyFieldError when `relay_state` or `rssi` is present with the wrong type
 */
export function normalizeSysinfo(sysinfo: Json): { values: Measurement; identity: PlugIdentity } {
  const values: Measurement = {};
  const relay = numberField(sysinfo, 'relay_state', 'system.get_sysinfo');
  if (relay !== undefined) values.state = relay === 0 ? 'OFF' : 'ON';
  const rssi = numberField(sysinfo, 'rssi', 'system.get_sysinfo');
  if (rssi !== undefined) values.rssi = rssi;
  const identity: PlugIdentity = {};
  const mac = stringField(sysinfo, 'mac') ?? stringField(sysinfo, 'mic_mac');
  const pairs: [keyof PlugIdentity, string | undefined][] = [
    ['alias', stringField(sysinfo, 'alias')],
    ['model', stringField(sysinfo, 'model')],
    ['hw_ver', stringField(sysinfo, 'hw_ver')],
    ['sw_ver', stringField(sysinfo, 'sw_ver')],
    ['mac', mac],
    ['deviceId', stringField(sysinfo, 'deviceId')],
  ];
  for (const [k, v] of pairs) if (v !== undefined) identity[k] = v;
  return { values, identity };
}

/**
 * True when sysinfo advertises an energy meter: `feature` contains `ENE` (python-kasa
 * `iotdevice.py`, `has_emeter`). Plugs without one (HS100, HS105, KP100, KP303) answer an emeter
 * query with `err_code -1`, and python-kasa warns that some crash on unexpected modules.
 *
 * @param sysinfo the `get_sysinfo` object
 */
export function hasEmeter(sysinfo: Json): boolean {
  const feature = sysinfo['feature'];
  return typeof feature === 'string' && feature.split(':').includes('ENE');
}

/** One entry of a strip's sysinfo `children[]`, as the collector uses it. */
export interface ChildSysinfo {
  /** The id for `context.child_ids`. */
  id: string;
  alias?: string;
  /** Relay state from the child's `state` (1 → "ON", 0 → "OFF"). */
  state?: RelayState;
}

/**
 * Reads a power strip's outlets from sysinfo `children[]` (HS300, KP303; REFERENCE.md §1: each
 * has `id`, `alias`, `state`). On real units a child id is the strip's 40-hex `deviceId` plus a
 * two-digit index; firmware that sends the bare index (`"00"`) gets the `deviceId` put in front,
 * as the strip expects the full id in `context.child_ids`.
 * @param sysinfo the `get_sysinfo` object
 * @returns the outlets in `children[]` order, or `undefined` for a plug without `children`
 * @throws ReplyFieldError when `children` is not an array of objects with a string `id`, or
 *   when `state` has the wrong type
 */
export function childrenOf(sysinfo: Json): ChildSysinfo[] | undefined {
  const raw = sysinfo['children'];
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new ReplyFieldError('system.get_sysinfo.children is not an array');
  const deviceId = stringField(sysinfo, 'deviceId') ?? '';
  return raw.map((c: unknown, i) => {
    const where = `system.get_sysinfo.children[${i}]`;
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      throw new ReplyFieldError(`${where} is not an object`);
    const child = c as Json;
    const id = child['id'];
    if (typeof id !== 'string' || id === '')
      throw new ReplyFieldError(
        `${where}.id is ${JSON.stringify(id) ?? 'absent'}, expected a string`,
      );
    const out: ChildSysinfo = { id: /^\d{1,2}$/.test(id) ? deviceId + id.padStart(2, '0') : id };
    const alias = stringField(child, 'alias');
    if (alias !== undefined) out.alias = alias;
    const state = numberField(child, 'state', where);
    if (state !== undefined) out.state = state === 0 ? 'OFF' : 'ON';
    return out;
  });
}

/**
 * Normalizes one plug reply into published units.
 *
 * @param sysinfo `system.get_sysinfo` object
 * @param emeter `emeter.get_realtime` object, when asked and answered
 * @returns values in V, A, W, kWh, "ON"/"OFF", dBm, plus identity
 * @throws ReplyFieldError on a present field of the wrong type
 */
export function normalize(
  sysinfo: Json,
  emeter?: Json,
): { values: Measurement; identity: PlugIdentity } {
  const { values, identity } = normalizeSysinfo(sysinfo);
  if (emeter !== undefined) Object.assign(values, normalizeEmeter(emeter));
  return { values, identity };
}
