import { PlugError, PlugErrorCode } from '../../errors.js';
import { isObject, parseJsonObject, type Json } from './json.js';

/** Sysinfo alone: what python-kasa sends on first contact ("some devices crash on unexpected modules"). */
export const SYSINFO_REQUEST = '{"system":{"get_sysinfo":{}}}';

/** The batched poll of a plug with an emeter: one request, one reply. */
export const BATCH_REQUEST = '{"system":{"get_sysinfo":{}},"emeter":{"get_realtime":{}}}';

/**
 * The emeter request of one strip outlet: `emeter.get_realtime` with
 * `"context":{"child_ids":[id]}` (docs/protocol.md#power-strips: one outlet per request).
 * @param childId the outlet's sysinfo `children[].id`
 * @returns the request JSON text
 */
export function outletEmeterRequest(childId: string): string {
  return `{"context":{"child_ids":[${JSON.stringify(childId)}]},"emeter":{"get_realtime":{}}}`;
}

/** The parts of a poll reply the collector uses. */
export interface PollReply {
  /** `system.get_sysinfo`, `err_code` 0. */
  sysinfo: Json;
  /** `emeter.get_realtime`, `err_code` 0, when it was asked. */
  emeter?: Json;
}

/**
 * Throws PLUG_DEVICE_ERROR when `obj` carries a non-zero `err_code`. Both levels occur on real
 * plugs, and python-kasa's `kasa/iot/iotdevice.py` (`_query_helper`) checks both: module level
 * `{"emeter":{"err_code":-1,...}}` (HS100 hw1) and method level
 * `{"emeter":{"get_realtime":{"err_code":-1,...}}}` (HS100 hw2, HS105).
 */
function checkErrCode(obj: Json, where: string, target: string): void {
  const code = obj['err_code'];
  if (code === undefined || code === 0) return;
  const msg = typeof obj['err_msg'] === 'string' ? ` "${obj['err_msg']}"` : '';
  throw new PlugError(
    PlugErrorCode.DEVICE_ERROR,
    target,
    `${where} answered err_code ${JSON.stringify(code)}${msg}`,
  );
}

/**
 * Returns `reply[module][method]` after checking both levels' `err_code` (also used by
 * `iot-relay.ts` for `system.set_relay_state`).
 * @throws PlugError PLUG_BAD_REPLY (missing object), PLUG_DEVICE_ERROR (`err_code != 0`)
 */
export function method(reply: Json, module: string, name: string, target: string): Json {
  const mod = reply[module];
  if (!isObject(mod)) {
    throw new PlugError(PlugErrorCode.BAD_REPLY, target, `reply has no "${module}" object`);
  }
  checkErrCode(mod, module, target);
  const m = mod[name];
  if (!isObject(m)) {
    throw new PlugError(PlugErrorCode.BAD_REPLY, target, `reply has no "${module}.${name}" object`);
  }
  checkErrCode(m, `${module}.${name}`, target);
  return m;
}

/**
 * Parses and checks the reply to {@link SYSINFO_REQUEST} or {@link BATCH_REQUEST}.
 *
 * A module that was not asked makes the whole reply suspect (a desynchronized or foreign reply),
 * so it is rejected rather than half-used.
 *
 * @param body decrypted reply bytes
 * @param askedEmeter whether the request held `emeter.get_realtime`
 * @param target `host:port`, for messages
 * @returns sysinfo and, when asked, the emeter object
 * @throws PlugError PLUG_BAD_JSON (not JSON, or not an object), PLUG_BAD_REPLY (missing or
 *   unexpected module), PLUG_DEVICE_ERROR (`err_code != 0` at either level)
 */
export function parsePollReply(body: Buffer, askedEmeter: boolean, target: string): PollReply {
  const parsed = parseJsonObject(body, target);
  for (const key in parsed) {
    if (key !== 'system' && !(askedEmeter && key === 'emeter')) {
      throw new PlugError(
        PlugErrorCode.BAD_REPLY,
        target,
        `reply holds module "${key}", which was not asked`,
      );
    }
  }
  const sysinfo = method(parsed, 'system', 'get_sysinfo', target);
  if (!askedEmeter) return { sysinfo };
  return { sysinfo, emeter: method(parsed, 'emeter', 'get_realtime', target) };
}

/**
 * Parses and checks the reply to {@link outletEmeterRequest}. A `context` echoed back is
 * tolerated; any other module than `emeter` is rejected as in {@link parsePollReply}.
 * @param body decrypted reply bytes
 * @param target `host:port outlet n`, for messages
 * @returns the outlet's `emeter.get_realtime` object
 * @throws PlugError PLUG_BAD_JSON, PLUG_BAD_REPLY, PLUG_DEVICE_ERROR (`err_code != 0`, e.g. an
 *   outlet id the strip does not know)
 */
export function parseOutletEmeterReply(body: Buffer, target: string): Json {
  const parsed = parseJsonObject(body, target);
  for (const key in parsed) {
    if (key !== 'emeter' && key !== 'context') {
      throw new PlugError(
        PlugErrorCode.BAD_REPLY,
        target,
        `reply holds module "${key}", which was not asked`,
      );
    }
  }
  return method(parsed, 'emeter', 'get_realtime', target);
}
