/**
 * What a simulated SMART device says about itself: `get_device_info` of a plug, a strip or a
 * strip's outlet, and the `result` of UDP discovery (python-kasa's `DiscoveryResult` fields).
 * Field names as in python-kasa's `tests/fixtures/smart/`; the values are derived from the
 * identity seed (`identity.ts`), none is copied. No I/O.
 */
import type { Json } from '../kasa/protocol/json.js';
import { deviceIdOf, hexOf, macOf } from './identity.js';
import type { SmartProfile } from './smart-profiles.js';

/** Who a simulated SMART device is: fixed at construction, apart from its address. */
export interface SmartIdentity {
  profile: SmartProfile;
  /** The identity seed. */
  seed: number;
  /** The device's user-given name (a strip's own). */
  alias: string;
  /** A strip's outlet names and child ids (`device_id`), in outlet order; `[]` for a plug. */
  aliases: readonly string[];
  ids: readonly string[];
  /** WiFi signal, dBm. */
  rssi: number;
  /** The device's UTC offset, minutes (`time_diff`). */
  utcOffsetMin: number;
  /** Whether the device is bound to a cloud account (discovery's `owner` is then set). */
  owned: boolean;
}

/** The relay of one unit, for its `get_device_info`. */
export interface UnitState {
  relay: boolean;
  /** Seconds since the relay was switched on. */
  onTimeS: number;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * The `result` of discovery on UDP 20002.
 * @param id the device
 * @param host the bound address (discovery's `ip`)
 * @param httpPort the HTTP port (`mgt_encrypt_schm.http_port`)
 */
export function discoveryResult(id: SmartIdentity, host: string, httpPort: number): Json {
  const { profile, seed } = id;
  const schm: Json = {
    encrypt_type: profile.transport.toUpperCase(),
    http_port: httpPort,
    is_support_https: false,
  };
  if (profile.transport === 'klap' || profile.loginVersion !== undefined)
    schm['lv'] = profile.transport === 'klap' ? 2 : profile.loginVersion;
  return {
    device_id: hexOf(seed, 'smartid', 32),
    device_model: `${profile.model}(${profile.region})`,
    device_type: profile.deviceType,
    factory_default: false,
    ip: host,
    is_support_iot_cloud: true,
    mac: macOf(profile.oui, seed, '-'),
    mgt_encrypt_schm: schm,
    obd_src: 'tplink',
    owner: id.owned ? hexOf(seed, 'owner', 32) : '',
  };
}

/**
 * `get_device_info` of the plug (`unit` 0), of the strip (`unit` undefined) or of an outlet
 * (`child`).
 * @param id the device
 * @param host the bound address (`ip`, on the device itself)
 * @param unit the unit asked: 0 for a plug, an outlet index, `undefined` for a strip itself
 * @param state that unit's relay; absent for a strip itself
 * @param child whether an outlet is asked (through `control_child` or the child list)
 */
export function deviceInfo(
  id: SmartIdentity,
  host: string,
  unit: number | undefined,
  state: UnitState | undefined,
  child = false,
): Json {
  const { profile, seed, rssi } = id;
  const info: Json = {
    device_id: child && unit !== undefined ? id.ids[unit] : deviceIdOf(seed),
    fw_ver: profile.fwVer,
    hw_ver: profile.hwVer,
    type: profile.deviceType,
    model: profile.model,
    mac: macOf(profile.oui, seed, child ? '' : '-'),
    hw_id: hexOf(seed, 'hw', 32),
    fw_id: hexOf(seed, 'fw', 32),
    oem_id: hexOf(seed, 'oem', 32),
    nickname: b64(unit === undefined ? id.alias : (id.aliases[unit] ?? '')),
    region: profile.zone,
    lang: 'en_US',
    avatar: child ? 'plug' : 'kettle',
    has_set_location_info: false,
    latitude: 0,
    longitude: 0,
  };
  if (!child) {
    Object.assign(info, {
      ip: host,
      time_diff: id.utcOffsetMin,
      ssid: b64('kasa-collector-sim'),
      rssi,
      signal_level: rssi > -60 ? 3 : rssi > -70 ? 2 : 1,
      specs: '',
    });
  }
  if (unit !== undefined && state !== undefined) {
    Object.assign(info, {
      device_on: state.relay,
      on_time: state.onTimeS,
      default_states: { type: 'last_states', state: {} },
      overheated: false,
      power_protection_status: 'normal',
      overcurrent_status: 'normal',
    });
    if (child) {
      Object.assign(info, {
        position: unit + 1,
        slot_number: id.ids.length,
        category: 'plug.powerstrip.sub-plug',
        original_device_id: deviceIdOf(seed),
        bind_count: 1,
        status_follow_edge: true,
      });
    }
  }
  return info;
}
