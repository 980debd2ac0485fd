/**
 * How the simulated IOT models render their state: the `system.get_sysinfo` layouts (older
 * firmware, newer firmware, power strips) and the `emeter.get_realtime` styles (legacy floats,
 * unit-suffixed integers). Field names and order as in python-kasa's captures of real plugs
 * (`tests/fixtures/iot/`); the values are our own. The models themselves are in `profiles.ts`.
 */
import type { Json } from '../kasa/protocol/json.js';
import { deviceIdOf, hexOf, macOf } from './identity.js';
import type { LoadSample } from './load.js';

/** One outlet of a power strip, as a profile renders it into sysinfo `children[]`. */
export interface OutletState {
  /** Child id (`children[].id`), the key of `"context":{"child_ids":[id]}`. */
  id: string;
  /** User-given outlet name (`children[].alias`). */
  alias: string;
  /** Relay closed (`children[].state` 1). */
  relay: boolean;
  /** Seconds since the outlet was last switched on (`children[].on_time`); 0 while off. */
  onTimeS: number;
}

/** The per-plug state a profile renders into sysinfo. */
export interface PlugState {
  /** User-given name (sysinfo `alias`). */
  alias: string;
  /** Relay closed; on a strip: at least one outlet is on (strips send no `relay_state`). */
  relay: boolean;
  /** Seconds since the relay was last switched on, 0 while off; on a strip: the longest-on outlet's. */
  onTimeS: number;
  /** WiFi signal, dBm. */
  rssi: number;
  /** Seed the identity (MAC, deviceId) is derived from. */
  seed: number;
  /** A strip's outlets in order (`children[]`); absent for a single plug. */
  outlets?: readonly OutletState[];
}

/** The facts of a model its sysinfo carries (see `SimProfile` in `profiles.ts`). */
export interface ModelFacts {
  /** sysinfo `model`, e.g. `HS110(EU)`. */
  model: string;
  /** sysinfo `hw_ver`. */
  hwVer: string;
  /** sysinfo `sw_ver`. */
  swVer: string;
  /** sysinfo `feature`: `TIM:ENE` with an emeter, `TIM` without. */
  feature: string;
}

/** Legacy floats as HS110 hw1 firmware prints them: V and A with 6 decimals, kWh with 3. */
export function legacy(s: LoadSample): Json {
  const r = (v: number, d: number) => Number(v.toFixed(d));
  return {
    current: r(s.current, 6),
    voltage: r(s.voltage, 6),
    power: r(s.power, 6),
    total: r(s.energy, 3),
    err_code: 0,
  };
}

/** Unit-suffixed integers (mV, mA, mW, Wh). */
export function suffixed(s: LoadSample): Json {
  return {
    voltage_mv: Math.round(s.voltage * 1000),
    current_ma: Math.round(s.current * 1000),
    power_mw: Math.round(s.power * 1000),
    total_wh: Math.floor(s.energy * 1000),
    err_code: 0,
  };
}

/** Unit-suffixed integers plus `slot_id`, the outlet index (python-kasa's HS300 hw 2.0 data). */
export function suffixedSlot(s: LoadSample, outlet = 0): Json {
  const { err_code, ...values } = suffixed(s);
  return { ...values, slot_id: outlet, err_code };
}

/** Sysinfo of the older firmware layout (`type`, float `latitude`). */
export function olderSysinfo(p: ModelFacts, devName: string, oui: string) {
  return (st: PlugState): Json => ({
    sw_ver: p.swVer,
    hw_ver: p.hwVer,
    type: 'IOT.SMARTPLUGSWITCH',
    model: p.model,
    mac: macOf(oui, st.seed),
    dev_name: devName,
    alias: st.alias,
    relay_state: st.relay ? 1 : 0,
    on_time: st.onTimeS,
    active_mode: 'none',
    feature: p.feature,
    updating: 0,
    icon_hash: '',
    rssi: st.rssi,
    led_off: 0,
    longitude: 0,
    latitude: 0,
    hwId: hexOf(st.seed, `hw:${p.model}`, 32),
    fwId: '00000000000000000000000000000000',
    deviceId: deviceIdOf(st.seed),
    oemId: hexOf(st.seed, `oem:${p.model}`, 32),
    err_code: 0,
  });
}

/** The fields the newer single-plug layout and the strips' share, in their capture order. */
function commonSysinfo(p: ModelFacts, oui: string, st: PlugState): Json {
  return {
    sw_ver: p.swVer,
    hw_ver: p.hwVer,
    model: p.model,
    deviceId: deviceIdOf(st.seed),
    oemId: hexOf(st.seed, `oem:${p.model}`, 32),
    hwId: hexOf(st.seed, `hw:${p.model}`, 32),
    rssi: st.rssi,
    latitude_i: 0,
    longitude_i: 0,
    alias: st.alias,
    status: 'new',
    mic_type: 'IOT.SMARTPLUGSWITCH',
    feature: p.feature,
    mac: macOf(oui, st.seed),
    updating: 0,
    led_off: 0,
  };
}

/** Sysinfo of the newer firmware layout (`mic_type`, integer `latitude_i`, `next_action`). */
export function newerSysinfo(p: ModelFacts, devName: string, oui: string) {
  return (st: PlugState): Json => ({
    ...commonSysinfo(p, oui, st),
    relay_state: st.relay ? 1 : 0,
    on_time: st.onTimeS,
    active_mode: 'none',
    icon_hash: '',
    dev_name: devName,
    next_action: { type: -1 },
    err_code: 0,
  });
}

/**
 * Sysinfo of a power strip (the HS300/KP303 capture layout): `child_num` and `children[]`,
 * no `relay_state`, `on_time`, `dev_name` or `active_mode` at the top level.
 */
export function stripSysinfo(p: ModelFacts, oui: string, extra: Json) {
  return (st: PlugState): Json => {
    const outlets = st.outlets ?? [];
    return {
      ...commonSysinfo(p, oui, st),
      ...extra,
      children: outlets.map((o) => ({
        id: o.id,
        state: o.relay ? 1 : 0,
        alias: o.alias,
        on_time: o.onTimeS,
        next_action: { type: -1 },
      })),
      child_num: outlets.length,
      err_code: 0,
    };
  };
}
