/**
 * The one write the collector ever sends a plug: `system.set_relay_state` (the classic client's
 * `on`/`off`, softScheck/tplink-smartplug `tplink_smartplug.py`; docs/protocol.md). Pure: the
 * frames and the reply check, no I/O.
 *
 * Sending it twice is harmless (it sets a state, it does not flip one), so the kept-alive
 * connection's one resend on a stale socket stays safe.
 */
import { PlugError, PlugErrorCode } from '../../errors.js';
import { method } from './iot.js';

/** Relay on. */
export const RELAY_ON_REQUEST = '{"system":{"set_relay_state":{"state":1}}}';
/** Relay off. */
export const RELAY_OFF_REQUEST = '{"system":{"set_relay_state":{"state":0}}}';

/**
 * The relay request of one strip outlet: `system.set_relay_state` with
 * `"context":{"child_ids":[id]}` (python-kasa's `kasa/iot/iotdevice.py` `_create_request` sends
 * the same for a strip's plug; docs/protocol.md#power-strips).
 * @param childId the outlet's sysinfo `children[].id`
 * @param on true: relay on; false: off
 * @returns the request JSON text
 */
export function outletRelayRequest(childId: string, on: boolean): string {
  return `{"context":{"child_ids":[${JSON.stringify(childId)}]},"system":{"set_relay_state":{"state":${on ? 1 : 0}}}}`;
}

/**
 * Checks the reply to a relay frame: `{"system":{"set_relay_state":{"err_code":0}}}`.
 * @param body decrypted reply bytes
 * @param target `host:port`, for messages
 * @throws PlugError PLUG_BAD_JSON, PLUG_BAD_REPLY (no `system.set_relay_state`), or
 *   PLUG_DEVICE_ERROR (`err_code != 0`, e.g. a plug that refuses while in a schedule override)
 */
export function checkRelayReply(body: Buffer, target: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    const why = `relay reply is not JSON (${(err as Error).message})`;
    throw new PlugError(PlugErrorCode.BAD_JSON, target, why, err);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PlugError(PlugErrorCode.BAD_JSON, target, 'relay reply is JSON but not an object');
  }
  method(parsed as Record<string, unknown>, 'system', 'set_relay_state', target);
}
