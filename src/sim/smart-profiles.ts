/**
 * Device profiles of the simulated SMART plugs: model, firmware, transport and what each reports.
 * The values are our own, laid out as the public captures show these models' answers
 * (python-kasa's `tests/fixtures/smart/`, summarized in docs/devices.md); none is copied.
 *
 * - `p110`: Tapo P110 (EU), KLAP v2; `energy_monitoring` v2 with `get_emeter_data` (V, A, mW).
 * - `kp125m`: Kasa KP125M (US), AES with login v2; `energy_monitoring` v2 without
 *   `get_emeter_data` (power from `get_energy_usage`, no voltage or current), as firmware 1.1.x.
 * - `p110v1`: Tapo P110 (EU) on early firmware: AES without `lv` (login v1), `energy_monitoring`
 *   v1 (`get_energy_usage` only).
 * - `p304m`: Tapo P304M (UK), a four-outlet strip on KLAP v2; each outlet has `energy_monitoring`
 *   v2 without `get_emeter_data`; the strip itself reports no energy.
 */

/** A SMART plug model. */
export interface SmartProfile {
  /** `get_device_info.model`, without region, e.g. `P110`. */
  model: string;
  /** Region suffix of discovery's `device_model`, e.g. `EU` → `P110(EU)`. */
  region: string;
  deviceType: 'SMART.TAPOPLUG' | 'SMART.KASAPLUG';
  hwVer: string;
  fwVer: string;
  transport: 'klap' | 'aes';
  /** AES login generation, discovery's `lv`; absent: none announced (login v1). */
  loginVersion?: 1 | 2;
  /** `energy_monitoring` version; 0: none. */
  energy: 0 | 1 | 2;
  /** Whether `get_emeter_data` answers (voltage, current, power in mW). */
  emeterData: boolean;
  /** A strip's outlet count (`child_device`, `control_child`); absent for a plug. */
  outlets?: number;
  /** Nominal mains voltage of the region, V (default 230). */
  mainsV?: number;
  /** First three MAC octets. */
  oui: string;
  /** `get_device_info.region`, an IANA zone name. */
  zone: string;
}

/** Names of the built-in SMART profiles. */
export type SmartProfileName = 'p110' | 'kp125m' | 'p110v1' | 'p304m';

/** The built-in SMART profiles by name. */
export const SMART_PROFILES: Readonly<Record<SmartProfileName, SmartProfile>> = {
  p110: {
    model: 'P110',
    region: 'EU',
    deviceType: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.3.1 Build 240621 Rel.162048',
    transport: 'klap',
    energy: 2,
    emeterData: true,
    oui: '9C:53:22',
    zone: 'Europe/Berlin',
  },
  kp125m: {
    model: 'KP125M',
    region: 'US',
    deviceType: 'SMART.KASAPLUG',
    hwVer: '1.0',
    fwVer: '1.1.3 Build 230801 Rel.092557',
    transport: 'aes',
    loginVersion: 2,
    energy: 2,
    emeterData: false,
    mainsV: 120,
    oui: '78:8C:B5',
    zone: 'America/New_York',
  },
  p110v1: {
    model: 'P110',
    region: 'EU',
    deviceType: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.0.7 Build 210629 Rel.174901',
    transport: 'aes',
    energy: 1,
    emeterData: false,
    oui: '34:60:F9',
    zone: 'Europe/Berlin',
  },
  p304m: {
    model: 'P304M',
    region: 'UK',
    deviceType: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.0.3 Build 240605 Rel.091502',
    transport: 'klap',
    energy: 2,
    emeterData: false,
    outlets: 4,
    oui: 'A8:6E:84',
    zone: 'Europe/London',
  },
};

/** The components a profile announces in `component_nego` (id → `ver_code`). */
export function componentsOf(profile: SmartProfile, child = false): Record<string, number> {
  const out: Record<string, number> = {
    device: 2,
    firmware: 2,
    quick_setup: 3,
    time: 1,
    device_local_time: 1,
    schedule: 2,
    countdown: 2,
    antitheft: 1,
    account: 1,
    synchronize: 1,
    sunrise_sunset: 1,
    cloud_connect: 1,
    iot_cloud: 1,
    default_states: 1,
    auto_off: 2,
  };
  if (!child) {
    out['inherit'] = 1;
    out['wireless'] = 1;
    out['led'] = 1;
  }
  const strip = !child && (profile.outlets ?? 0) > 0;
  if (strip) {
    out['child_device'] = 2;
    out['control_child'] = 2;
  } else if (profile.energy > 0) {
    out['energy_monitoring'] = profile.energy;
    out['power_protection'] = 1;
  }
  return out;
}
