/**
 * What a discovery reply says about a plug: the answer to a UDP `{"system":{"get_sysinfo":{}}}`
 * (python-kasa `kasa/discover.py`), checked as strictly as a poll reply and reduced to the facts a
 * user needs to write the config file.
 *
 * The emeter field style is not in sysinfo: it is inferred from model and hardware version
 * (docs/protocol.md#emeter-field-styles; `src/kasa/normalize.ts` copes with both at poll time).
 */
import { parsePollReply } from './protocol/iot.js';
import { hasEmeter, normalizeSysinfo } from './normalize.js';
import { type PlugIdentity } from '../reading.js';

/**
 * `legacy`: `voltage` V, `current` A, `power` W, `total` kWh (HS110 hw 1.x). `suffixed`:
 * `voltage_mv`, `current_ma`, `power_mw`, `total_wh`. `none`: no emeter.
 */
export type FieldStyle = 'legacy' | 'suffixed' | 'none';

/** One plug that answered discovery. Fields the plug did not send are left out. */
export interface DiscoveredPlug {
  /** The reply's sender address: what goes into `devices[].host`. */
  host: string;
  model?: string;
  hw_ver?: string;
  sw_ver?: string;
  alias?: string;
  /** `AA:BB:CC:DD:EE:FF` (sysinfo `mac`, or `mic_mac` on newer firmware). */
  mac?: string;
  deviceId?: string;
  /** sysinfo `feature` contains `ENE`. */
  emeter: boolean;
  /** The emeter field style, see {@link FieldStyle}. */
  fields: FieldStyle;
  /** True when {@link fields} is a guess: a model or HS110 hardware version not known here. */
  fieldsInferred: boolean;
  /** Number of outlets of a strip (HS300, KP303: sysinfo `children[]`); absent on a plug. */
  children?: number;
  /** A strip's outlet aliases in `children[]` order (`""` where a child has none); absent on a plug. */
  childAliases?: string[];
}

/**
 * Models known to use the unit-suffixed style; the HS110 only from hw 2.0
 * (docs/protocol.md#emeter-field-styles).
 */
const SUFFIXED_MODELS = ['KP115', 'KP125', 'HS300', 'EP25'];

/**
 * Infers the emeter field style from sysinfo: no `ENE` feature → `none`; HS110 hw 1.x →
 * `legacy`; HS110 hw 2+, KP115, KP125, HS300, EP25 → `suffixed`; any other model with an emeter
 * → `suffixed`, inferred (every model after the HS110 hw1 uses the suffixed style as far as the
 * public record goes).
 * @param sysinfo the `get_sysinfo` object
 */
export function inferFieldStyle(sysinfo: Record<string, unknown>): {
  fields: FieldStyle;
  inferred: boolean;
} {
  if (!hasEmeter(sysinfo)) return { fields: 'none', inferred: false };
  const model = typeof sysinfo['model'] === 'string' ? sysinfo['model'] : '';
  const hw = typeof sysinfo['hw_ver'] === 'string' ? parseInt(sysinfo['hw_ver'], 10) : NaN;
  if (model.startsWith('HS110')) {
    if (hw === 1) return { fields: 'legacy', inferred: false };
    return { fields: 'suffixed', inferred: !(hw >= 2) };
  }
  const known = SUFFIXED_MODELS.some((m) => model.startsWith(m));
  return { fields: 'suffixed', inferred: !known };
}

/**
 * Reads one discovery reply.
 * @param plaintext the decrypted datagram
 * @param host the sender's address
 * @returns what the plug says about itself
 * @throws PlugError PLUG_BAD_JSON, PLUG_BAD_REPLY (no `system.get_sysinfo`, another module, a
 *   field of the wrong type), PLUG_DEVICE_ERROR (`err_code != 0`): the reply is not a plug's
 * @throws ReplyFieldError when `relay_state` or `rssi` has the wrong type
 */
export function parseDiscoveryReply(plaintext: Buffer, host: string): DiscoveredPlug {
  const { sysinfo } = parsePollReply(plaintext, false, host);
  const { identity } = normalizeSysinfo(sysinfo);
  const { fields, inferred } = inferFieldStyle(sysinfo);
  // Re-keyed so that JSON output lists the fields in the table's column order.
  const named: PlugIdentity = {};
  for (const k of ['model', 'hw_ver', 'sw_ver', 'alias', 'mac', 'deviceId'] as const)
    if (identity[k] !== undefined) named[k] = identity[k];
  const out: DiscoveredPlug = {
    host,
    ...named,
    emeter: hasEmeter(sysinfo),
    fields,
    fieldsInferred: inferred,
  };
  const children = sysinfo['children'];
  if (Array.isArray(children)) {
    out.children = children.length;
    out.childAliases = children.map((c: unknown) => {
      const alias = (c as { alias?: unknown } | null)?.alias;
      return typeof alias === 'string' ? alias : '';
    });
  }
  return out;
}

/** How a plug is reached: the XOR transport on TCP 9999, or KLAP / AES over HTTP. */
export type TransportKind = 'xor' | 'klap' | 'aes';

/** What a plug's answer to discovery on UDP 20002 says about reaching it. */
export interface HttpDiscovery {
  /** The answer's sender. */
  host: string;
  /** `device_model` with its region, e.g. `P110(EU)`. */
  model?: string;
  /** `device_type`, e.g. `SMART.TAPOPLUG`, `SMART.KASAPLUG`, `IOT.SMARTPLUGSWITCH`. */
  deviceType: string;
  /** `AA:BB:CC:DD:EE:FF`. */
  mac?: string;
  /** `mgt_encrypt_schm.encrypt_type` (else `encrypt_info.sym_schm`), lower case. */
  transport: 'klap' | 'aes';
  /** `mgt_encrypt_schm.http_port`, default 80. */
  httpPort: number;
  /** `mgt_encrypt_schm.lv` (else the largest of `encrypt_type[]`); absent on older firmware. */
  loginVersion?: 1 | 2;
  /** The JSON it speaks: IOT for `IOT.*` device types, SMART for the others. */
  protocol: 'iot' | 'smart';
  /** `mgt_encrypt_schm.is_support_https`: such a plug wants TLS, which is not supported. */
  https: boolean;
  /**
   * Whether a TP-Link account is needed: false for a plug that says it is factory-new or has no
   * owner (it accepts the blank account), true otherwise.
   */
  needsAccount: boolean;
}

function str(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Reads an answer to discovery on UDP 20002 (python-kasa `Discover._get_connection_parameters`).
 * @param body the datagram's JSON (after the 16-byte header)
 * @param host the sender
 * @throws Error naming what is missing when the answer is not a plug's: no `result`, no
 *   `device_type`, no usable encryption scheme
 */
export function parseHttpDiscovery(body: Record<string, unknown>, host: string): HttpDiscovery {
  const result = body['result'];
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new Error('discovery answer without a result object');
  }
  const r = result as Record<string, unknown>;
  const deviceType = str(r, 'device_type');
  if (deviceType === undefined) throw new Error('discovery answer without device_type');
  const schm = r['mgt_encrypt_schm'];
  const s = typeof schm === 'object' && schm !== null ? (schm as Record<string, unknown>) : {};
  const info = r['encrypt_info'];
  const symSchm =
    typeof info === 'object' && info !== null
      ? str(info as Record<string, unknown>, 'sym_schm')
      : undefined;
  const encrypt = (str(s, 'encrypt_type') ?? symSchm ?? '').toLowerCase();
  if (encrypt !== 'klap' && encrypt !== 'aes') {
    throw new Error(
      `discovery answer with encrypt_type ${JSON.stringify(encrypt)}, not KLAP or AES`,
    );
  }
  const port = s['http_port'];
  let lv = typeof s['lv'] === 'number' ? s['lv'] : undefined;
  const types = r['encrypt_type'];
  if (lv === undefined && Array.isArray(types)) {
    const nums = types.map(Number).filter(Number.isFinite);
    if (nums.length > 0) lv = Math.max(...nums);
  }
  const mac = str(r, 'mac');
  const owner = str(r, 'owner');
  const out: HttpDiscovery = {
    host,
    deviceType,
    transport: encrypt,
    httpPort:
      typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : 80,
    protocol: deviceType.startsWith('IOT.') ? 'iot' : 'smart',
    https: s['is_support_https'] === true,
    needsAccount: !(r['factory_default'] === true || owner === ''),
  };
  const model = str(r, 'device_model');
  if (model !== undefined) out.model = model;
  if (mac !== undefined) {
    const hex = mac.replace(/[-:]/g, '');
    out.mac = /^[0-9A-Fa-f]{12}$/.test(hex)
      ? (hex.toUpperCase().match(/../g) as string[]).join(':')
      : mac;
  }
  if (lv === 1 || lv === 2) out.loginVersion = lv;
  return out;
}
