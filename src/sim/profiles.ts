/**
 * Device profiles for the simulated plugs: what each model says in `system.get_sysinfo` and in
 * which style its `emeter.get_realtime` answers. The values are our own, written to look like the
 * field layout real plugs use (docs/protocol.md; field names as in python-kasa's captures of
 * real plugs, `tests/fixtures/iot/`), not copied from any capture.
 *
 * - `hs110v1`: HS110 hw 1.0, legacy floats `voltage` V, `current` A, `power` W, `total` kWh.
 * - `hs110v4`: HS110 hw 4.0, unit-suffixed integers `voltage_mv`, `current_ma`, `power_mw`,
 *   `total_wh`; newer sysinfo layout (`mic_type`, `latitude_i`).
 * - `kp115`: KP115 hw 1.0, unit-suffixed.
 * - `hs100`: HS100 hw 1.0, no emeter; answers an emeter query at module level with
 *   `{"err_code":-1,"err_msg":"module not support"}` (as HS100 hw1 does).
 * - `hs300`: HS300 hw 2.0, a six-outlet power strip with a per-outlet emeter, unit-suffixed plus
 *   `slot_id` (the outlet index), as python-kasa's HS300 hw 2.0 captures show.
 * - `kp303`: KP303 hw 1.0, a three-outlet strip without emeter (module not support, as `hs100`).
 *
 * A strip's sysinfo has `child_num` and `children[]` entries
 * `{"id","state","alias","on_time","next_action":{"type":-1}}` and no `relay_state`
 * (docs/protocol.md#power-strips; python-kasa's HS300/KP303 captures). Child ids are the parent's
 * 40-hex deviceId plus a two-digit index `00`, `01`, … as on real units (the raw log in
 * GadgetReactor/pyHS100#160).
 */
import type { Json } from '../kasa/protocol/json.js';
import { defaultChildIds } from './identity.js';
import {
  legacy,
  newerSysinfo,
  olderSysinfo,
  stripSysinfo,
  suffixed,
  suffixedSlot,
  type PlugState,
} from './iot-sysinfo.js';
import type { LoadSample } from './load.js';

/** How a model answers `emeter.get_realtime`. */
export type EmeterStyle = 'legacy' | 'suffixed' | 'none';

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
  /**
   * Number of outlets of a power strip (sysinfo `child_num`); absent or 0 for a single plug.
   * A strip is asked per outlet with `"context":{"child_ids":[id]}`
   * (docs/protocol.md#power-strips).
   */
  outlets?: number;
  /**
   * A strip's child ids in outlet order (`children[].id`), one per outlet; default
   * {@link defaultChildIds} (deviceId + `00`, `01`, …). Only read when {@link outlets} > 0.
   */
  childIds?(seed: number): string[];
  /** Nominal mains voltage of the model's region, V (default load models: 230 V). */
  mainsV?: number;
  /** Builds the `get_sysinfo` object, `err_code` 0 included. */
  sysinfo(state: PlugState): Json;
  /**
   * Builds the `get_realtime` object in the model's style; `undefined` when there is no emeter.
   * @param sample what the emeter measures: V, A, W, kWh
   * @param outlet a strip's outlet index (0-based) the reading belongs to; absent on a single plug
   */
  realtime(sample: LoadSample, outlet?: number): Json | undefined;
}

/** Names of the built-in profiles. */
export type ProfileName = 'hs110v1' | 'hs110v4' | 'kp115' | 'hs100' | 'hs300' | 'kp303';

/** The built-in profile names, in a stable order. */
export const PROFILE_NAMES: readonly ProfileName[] = [
  'hs110v1',
  'hs110v4',
  'kp115',
  'hs100',
  'hs300',
  'kp303',
];

/**
 * The child ids a profile gives a plug: `[]` for a single plug.
 * @param profile the model
 * @param seed the plug's identity seed
 * @returns one id per outlet, in outlet order
 * @throws Error when a custom `childIds()` returns a different number of ids than `outlets`
 */
export function childIdsOf(profile: SimProfile, seed: number): string[] {
  const n = profile.outlets ?? 0;
  if (n <= 0) return [];
  const ids = profile.childIds?.(seed) ?? defaultChildIds(seed, n);
  if (ids.length !== n)
    throw new Error(`profile ${profile.model}: ${ids.length} child ids for ${n} outlets`);
  return ids;
}

function strip(
  base: Omit<SimProfile, 'sysinfo' | 'realtime'>,
  oui: string,
  extra: Json = {},
): SimProfile {
  const realtime = base.emeter === 'suffixed' ? suffixedSlot : () => undefined;
  return { ...base, sysinfo: stripSysinfo(base, oui, extra), realtime };
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
  hs300: strip(
    {
      model: 'HS300(US)',
      hwVer: '2.0',
      swVer: '1.0.12 Build 220121 Rel.101533',
      feature: 'TIM:ENE',
      emeter: 'suffixed',
      outlets: 6,
      mainsV: 120,
    },
    '68:FF:7B',
  ),
  kp303: strip(
    {
      model: 'KP303(UK)',
      hwVer: '1.0',
      swVer: '1.0.3 Build 191105 Rel.094512',
      feature: 'TIM',
      emeter: 'none',
      outlets: 3,
    },
    '1C:3B:F3',
    { ntc_state: 0 },
  ),
};
