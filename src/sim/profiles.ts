/**
 * Device profiles for the simulated plugs: what each model says in `system.get_sysinfo` and in
 * which style its `emeter.get_realtime` answers. The values are our own, written to look like the
 * field layout real plugs use (REFERENCE.md §1; field names as listed in
 * `shared/fixtures/kasa/INDEX.md`), not copied from any capture.
 *
 * - `hs110v1`: HS110 hw 1.0, legacy floats `voltage` V, `current` A, `power` W, `total` kWh.
 * - `hs110v4`: HS110 hw 4.0, unit-suffixed integers `voltage_mv`, `current_ma`, `power_mw`,
 *   `total_wh`; newer sysinfo layout (`mic_type`, `latitude_i`).
 * - `kp115`: KP115 hw 1.0, unit-suffixed.
 * - `hs100`: HS100 hw 1.0, no emeter; answers an emeter query at module level with
 *   `{"err_code":-1,"err_msg":"module not support"}` (as HS100 hw1 does).
 */
import { createHash } from 'node:crypto';
import type { LoadSample } from './load.js';

type Json = Record<string, unknown>;

/** How a model answers `emeter.get_realtime`. */
export type EmeterStyle = 'legacy' | 'suffixed' | 'none';

/** The per-plug state a profile renders into sysinfo. */
export interface PlugState {
  /** User-given name (sysinfo `alias`). */
  alias: string;
  /** Relay closed. */
  relay: boolean;
  /** Seconds since the relay was last switched on; 0 while off. */
  onTimeS: number;
  /** WiFi signal, dBm. */
  rssi: number;
  /** Seed the identity (MAC, deviceId) is derived from. */
  seed: number;
}

/** A plug model. */
export interface SimProfile {
  /** sysinfo `model`, e.g. `HS110(EU)`. */
  model: string;
  /** sysinfo `hw_ver`, e.g. `1.0`. */
  hwVer: string;
  /** sysinfo `sw_ver`, e.g. `1.2.6 Build 200727 Rel.143015`. */
  swVer: string;
  /** sysinfo `feature`: `TIM:ENE` with an emeter, `TIM` without. */
  feature: string;
  /** The `emeter.get_realtime` field style, or `none` (module not supported). */
  emeter: EmeterStyle;
  /** Builds the `get_sysinfo` object, `err_code` 0 included. */
  sysinfo(state: PlugState): Json;
  /** Builds the `get_realtime` object in the model's style; `undefined` when there is no emeter. */
  realtime(sample: LoadSample): Json | undefined;
}

/** Names of the built-in profiles. */
export type ProfileName = 'hs110v1' | 'hs110v4' | 'kp115' | 'hs100';

/** The built-in profile names, in a stable order. */
export const PROFILE_NAMES: readonly ProfileName[] = ['hs110v1', 'hs110v4', 'kp115', 'hs100'];

function hex(seed: number, salt: string, chars: number): string {
  return createHash('sha256').update(`${salt}:${seed}`).digest('hex').slice(0, chars).toUpperCase();
}

function mac(oui: string, seed: number): string {
  const tail = hex(seed, 'mac', 6).match(/../g) ?? [];
  return [oui, ...tail].join(':');
}

/** Legacy floats as HS110 hw1 firmware prints them: V and A with 6 decimals, kWh with 3. */
function legacy(s: LoadSample): Json {
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
function suffixed(s: LoadSample): Json {
  return {
    voltage_mv: Math.round(s.voltage * 1000),
    current_ma: Math.round(s.current * 1000),
    power_mw: Math.round(s.power * 1000),
    total_wh: Math.floor(s.energy * 1000),
    err_code: 0,
  };
}

/** Sysinfo of the older firmware layout (`type`, float `latitude`). */
function olderSysinfo(p: Omit<SimProfile, 'sysinfo' | 'realtime'>, devName: string, oui: string) {
  return (st: PlugState): Json => ({
    sw_ver: p.swVer,
    hw_ver: p.hwVer,
    type: 'IOT.SMARTPLUGSWITCH',
    model: p.model,
    mac: mac(oui, st.seed),
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
    hwId: hex(st.seed, `hw:${p.model}`, 32),
    fwId: '00000000000000000000000000000000',
    deviceId: hex(st.seed, 'dev', 40),
    oemId: hex(st.seed, `oem:${p.model}`, 32),
    err_code: 0,
  });
}

/** Sysinfo of the newer firmware layout (`mic_type`, integer `latitude_i`, `next_action`). */
function newerSysinfo(p: Omit<SimProfile, 'sysinfo' | 'realtime'>, devName: string, oui: string) {
  return (st: PlugState): Json => ({
    sw_ver: p.swVer,
    hw_ver: p.hwVer,
    model: p.model,
    deviceId: hex(st.seed, 'dev', 40),
    oemId: hex(st.seed, `oem:${p.model}`, 32),
    hwId: hex(st.seed, `hw:${p.model}`, 32),
    rssi: st.rssi,
    latitude_i: 0,
    longitude_i: 0,
    alias: st.alias,
    status: 'new',
    mic_type: 'IOT.SMARTPLUGSWITCH',
    feature: p.feature,
    mac: mac(oui, st.seed),
    updating: 0,
    led_off: 0,
    relay_state: st.relay ? 1 : 0,
    on_time: st.onTimeS,
    active_mode: 'none',
    icon_hash: '',
    dev_name: devName,
    next_action: { type: -1 },
    err_code: 0,
  });
}

function profile(
  base: Omit<SimProfile, 'sysinfo' | 'realtime'>,
  layout: typeof olderSysinfo,
  devName: string,
  oui: string,
): SimProfile {
  const realtime =
    base.emeter === 'legacy' ? legacy : base.emeter === 'suffixed' ? suffixed : () => undefined;
  return { ...base, sysinfo: layout(base, devName, oui), realtime };
}

/** The built-in profiles by name. */
export const PROFILES: Readonly<Record<ProfileName, SimProfile>> = {
  hs110v1: profile(
    {
      model: 'HS110(EU)',
      hwVer: '1.0',
      swVer: '1.2.6 Build 200727 Rel.143015',
      feature: 'TIM:ENE',
      emeter: 'legacy',
    },
    olderSysinfo,
    'Wi-Fi Smart Plug With Energy Monitoring',
    '50:C7:BF',
  ),
  hs110v4: profile(
    {
      model: 'HS110(EU)',
      hwVer: '4.0',
      swVer: '1.0.4 Build 191111 Rel.164110',
      feature: 'TIM:ENE',
      emeter: 'suffixed',
    },
    newerSysinfo,
    'Smart Wi-Fi Plug With Energy Monitoring',
    'B0:95:75',
  ),
  kp115: profile(
    {
      model: 'KP115(EU)',
      hwVer: '1.0',
      swVer: '1.0.18 Build 210910 Rel.141202',
      feature: 'TIM:ENE',
      emeter: 'suffixed',
    },
    newerSysinfo,
    'Smart Wi-Fi Plug Mini',
    '1C:61:B4',
  ),
  hs100: profile(
    {
      model: 'HS100(UK)',
      hwVer: '1.0',
      swVer: '1.2.6 Build 200727 Rel.120812',
      feature: 'TIM',
      emeter: 'none',
    },
    olderSysinfo,
    'Wi-Fi Smart Plug',
    '50:C7:BF',
  ),
};
