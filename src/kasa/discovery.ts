/**
 * What a discovery reply says about a plug: the answer to a UDP `{"system":{"get_sysinfo":{}}}`
 * (REFERENCE.md §1 "UDP"), checked as strictly as a poll reply and reduced to the facts a user
 * needs to write the config file.
 *
 * The emeter field style is not in sysinfo: it is inferred from model and hardware version
 * (REFERENCE.md §1 "Emeter field styles"; `src/kasa/normalize.ts` copes with both at poll time).
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
  /** True when {@link fields} is a guess: a model REFERENCE.md §1 does not list. */
  fieldsInferred: boolean;
  /** Number of outlets of a strip (HS300, KP303: sysinfo `children[]`); absent on a plug. */
  children?: number;
  /** A strip's outlet aliases in `children[]` order (`""` where a child has none); absent on a plug. */
  childAliases?: string[];
}

/** Models REFERENCE.md §1 lists as unit-suffixed (HS110 only from hw 2.0). */
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
