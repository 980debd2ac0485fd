/**
 * The one place that knows the plugs' field styles (tplink-smarthome-api does the same in
 * `src/shared/emeter.ts`). Everything downstream sees one set of units.
 *
 * Emeter styles (docs/protocol.md#emeter-field-styles):
 * - legacy, HS110 hw 1.x: `voltage` V, `current` A, `power` W, `total` kWh (floats)
 * - unit-suffixed, HS110 hw 2+, KP115, KP125, HS300, EP25: `voltage_mv` mV, `current_ma` mA,
 *   `power_mw` mW, `total_wh` Wh (integers)
 */
import type { Measurement, PlugIdentity, RelayState } from '../reading.js';

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
 * Reads a power strip's outlets from sysinfo `children[]` (HS300, KP303; docs/protocol.md: each
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
