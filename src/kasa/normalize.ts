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
import { tooManyOutlets } from './strip-models.js';

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
 * @param out where the quantities go, holding none of them yet (a poll passes its own values,
 *   so they need no object of their own in between); default a new object
 * @returns `out`: voltage, current, power, energy; missing fields are left out
 * @throws ReplyFieldError when a field is present but not a finite number, or when the object
 *   holds none of the eight known fields
 */
export function normalizeEmeter(emeter: Json, out: Measurement = {}): Measurement {
  // SUFFIXED and LEGACY list the same quantities in the same order: bit i is quantity i found.
  let found = 0;
  for (let i = 0; i < SUFFIXED.length; i++) {
    const [field, key, div] = SUFFIXED[i] as (typeof SUFFIXED)[number];
    const v = numberField(emeter, key, 'emeter.get_realtime');
    if (v === undefined) continue;
    out[field] = v / div;
    found |= 1 << i;
  }
  for (let i = 0; i < LEGACY.length; i++) {
    const [field, key] = LEGACY[i] as (typeof LEGACY)[number];
    const v = numberField(emeter, key, 'emeter.get_realtime');
    if (v === undefined || (found & (1 << i)) !== 0) continue;
    out[field] = v;
    found |= 1 << i;
  }
  if (found === 0) {
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
  // Field by field, no intermediate arrays: this runs for every poll of every plug.
  const identity: PlugIdentity = {};
  const alias = stringField(sysinfo, 'alias');
  if (alias !== undefined) identity.alias = alias;
  const model = stringField(sysinfo, 'model');
  if (model !== undefined) identity.model = model;
  const hwVer = stringField(sysinfo, 'hw_ver');
  if (hwVer !== undefined) identity.hw_ver = hwVer;
  const swVer = stringField(sysinfo, 'sw_ver');
  if (swVer !== undefined) identity.sw_ver = swVer;
  const mac = stringField(sysinfo, 'mac') ?? stringField(sysinfo, 'mic_mac');
  if (mac !== undefined) identity.mac = mac;
  const deviceId = stringField(sysinfo, 'deviceId');
  if (deviceId !== undefined) identity.deviceId = deviceId;
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
 * @throws ReplyFieldError when `children` is not an array of objects with a string `id`, when
 *   `state` has the wrong type, or when there are more than the model can have (`strip-models.ts`)
 */
export function childrenOf(sysinfo: Json): ChildSysinfo[] | undefined {
  const raw = sysinfo['children'];
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new ReplyFieldError('system.get_sysinfo.children is not an array');
  const tooMany = tooManyOutlets(stringField(sysinfo, 'model'), raw.length);
  if (tooMany !== undefined) throw new ReplyFieldError(tooMany);
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
  if (emeter !== undefined) normalizeEmeter(emeter, values);
  return { values, identity };
}

/*
 * SMART devices (Tapo plugs, KP125M, EP25 hw 2.6, P304M/P316M strips): JSON-RPC answers, one
 * object per method (python-kasa `kasa/smart/modules/energy.py` reads the same fields).
 *
 * - `get_device_info`: `device_on` (boolean relay), `rssi` dBm, `nickname` base64 UTF-8,
 *   `model` without region (`P110`), `hw_ver`, `fw_ver`, `mac` as `AA-BB-CC-DD-EE-FF` (a strip's
 *   children: `AABBCCDDEEFF`), `device_id`.
 * - `get_emeter_data` (energy_monitoring v2, newer firmware): `voltage_mv` mV, `current_ma` mA,
 *   `power_mw` mW, `energy_wh` Wh.
 * - `get_energy_usage`: `current_power` mW (absent on a P304M outlet), `today_energy` Wh since the
 *   device's local midnight, `month_energy` Wh since the first of the month.
 * - `get_current_power` (v2): `current_power` W, an integer: the least precise source.
 *
 * Power comes from the first of `get_emeter_data.power_mw`, `get_energy_usage.current_power`,
 * `get_current_power.current_power` that is present (python-kasa's order). `energy` is
 * `today_energy`: the device's own counter, which resets at local midnight; the collector's
 * lifetime `energy_total` treats that drop as a counter reset, as after an IOT plug's reboot
 * (`src/energy/step.ts`). `get_emeter_data.energy_wh` is not used for it: what it counts from is
 * not documented (python-kasa does not read it either).
 */

/** The energy methods' answers of one SMART device (or outlet), as far as they were asked. */
export interface SmartEnergyAnswers {
  emeterData?: Json;
  energyUsage?: Json;
  currentPower?: Json;
}

/**
 * Decodes a SMART `nickname`: base64 of UTF-8. A value that is not base64 of valid UTF-8 is
 * returned as it came.
 * @param nickname the field as sent
 */
export function decodeNickname(nickname: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(nickname) || nickname.length % 4 !== 0) return nickname;
  const bytes = Buffer.from(nickname, 'base64');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : nickname;
}

/**
 * A MAC as SMART devices send it (`AA-BB-CC-DD-EE-FF`, or `AABBCCDDEEFF` for a strip's child) in
 * the IOT form `AA:BB:CC:DD:EE:FF`; anything else is returned as it came.
 */
export function smartMac(mac: string): string {
  const hex = mac.replace(/[-:]/g, '');
  return /^[0-9A-Fa-f]{12}$/.test(hex)
    ? (hex.toUpperCase().match(/../g) as string[]).join(':')
    : mac;
}

/**
 * Maps `get_device_info` (of a device, or a strip child's entry in `get_child_device_list`) to
 * relay state, RSSI and identity.
 * @param info the method's `result`
 * @returns `state` from `device_on`, `rssi` dBm; identity with the nickname decoded
 * @throws ReplyFieldError when `device_on` is present but not a boolean, or `rssi` not a number
 */
export function normalizeSmartInfo(info: Json): { values: Measurement; identity: PlugIdentity } {
  const values: Measurement = {};
  const on = info['device_on'];
  if (on !== undefined) {
    if (typeof on !== 'boolean') {
      throw new ReplyFieldError(
        `get_device_info.device_on is ${JSON.stringify(on) ?? String(on)}, expected a boolean`,
      );
    }
    values.state = on ? 'ON' : 'OFF';
  }
  const rssi = numberField(info, 'rssi', 'get_device_info');
  if (rssi !== undefined) values.rssi = rssi;
  const identity: PlugIdentity = {};
  const nickname = stringField(info, 'nickname');
  const mac = stringField(info, 'mac');
  const pairs: [keyof PlugIdentity, string | undefined][] = [
    ['alias', nickname === undefined ? undefined : decodeNickname(nickname)],
    ['model', stringField(info, 'model')],
    ['hw_ver', stringField(info, 'hw_ver')],
    ['sw_ver', stringField(info, 'fw_ver')],
    ['mac', mac === undefined ? undefined : smartMac(mac)],
    ['deviceId', stringField(info, 'device_id')],
  ];
  for (const [k, v] of pairs) if (v !== undefined && v !== '') identity[k] = v;
  return { values, identity };
}

/**
 * Maps a SMART device's energy answers to W, V, A and kWh (precedence in this section's header).
 * @param answers the methods that answered without error
 * @returns power, voltage and current when sent, energy from `today_energy`; missing ones left out
 * @throws ReplyFieldError when a field used is present but not a finite number
 */
export function normalizeSmartEnergy(answers: SmartEnergyAnswers): Measurement {
  const out: Measurement = {};
  const { emeterData, energyUsage, currentPower } = answers;
  const mw = (obj: Json | undefined, key: string, where: string): number | undefined =>
    obj === undefined ? undefined : numberField(obj, key, where);
  const emeterPower = mw(emeterData, 'power_mw', 'get_emeter_data');
  const usagePower = mw(energyUsage, 'current_power', 'get_energy_usage');
  const wholeWatts = mw(currentPower, 'current_power', 'get_current_power');
  if (emeterPower !== undefined) out.power = emeterPower / 1000;
  else if (usagePower !== undefined) out.power = usagePower / 1000;
  else if (wholeWatts !== undefined) out.power = wholeWatts;
  const today = mw(energyUsage, 'today_energy', 'get_energy_usage');
  if (today !== undefined) out.energy = today / 1000;
  const mv = mw(emeterData, 'voltage_mv', 'get_emeter_data');
  if (mv !== undefined) out.voltage = mv / 1000;
  const ma = mw(emeterData, 'current_ma', 'get_emeter_data');
  if (ma !== undefined) out.current = ma / 1000;
  return out;
}
