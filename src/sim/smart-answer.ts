/**
 * How a simulated SMART device answers one decrypted request: pure dispatch, no I/O (the HTTP
 * and the encryption are `http-plug.ts`'s). The envelope is python-kasa's
 * (`kasa/protocols/smartprotocol.py`): `{"method", "params"}` in, `{"error_code", "result"}` out;
 * `multipleRequest` answers each of its requests in `responses[]` with its own `error_code`;
 * `control_child` runs its `requestData` against one child and answers it in `responseData`.
 *
 * Simulator choices, not verified on firmware: a method the device does not have answers
 * `-1002` (UNKNOWN_METHOD_ERROR, which python-kasa treats as "optional method missing"); a
 * `control_child` naming no child answers `-1008` (PARAMS_ERROR); a request that is not a JSON
 * object with a string `method` answers `-1003` (JSON_DECODE_FAIL_ERROR).
 */

import { isObject, type Json } from '../kasa/protocol/json.js';

/** One method's answer. */
export interface SmartAnswer {
  error_code: number;
  result?: unknown;
}

/** UNKNOWN_METHOD_ERROR. */
export const UNKNOWN_METHOD: SmartAnswer = { error_code: -1002 };
/** PARAMS_ERROR. */
export const PARAMS_ERROR: SmartAnswer = { error_code: -1008 };
/** JSON_DECODE_FAIL_ERROR. */
export const JSON_DECODE_FAIL: SmartAnswer = { error_code: -1003 };

/** What the dispatcher needs from the device it answers for. */
export interface SmartView {
  /**
   * Answers one method.
   * @param method e.g. `get_device_info`
   * @param params the request's `params`, if any
   * @param childId set when the request came through `control_child`
   */
  call(method: string, params: Json | undefined, childId: string | undefined): SmartAnswer;
  /** Whether `id` is one of the device's children (a strip's outlets). */
  hasChild(id: string): boolean;
}

/**
 * Answers one request as the device would.
 * @param request the parsed inner JSON
 * @param view the device
 * @param childId the child addressed (inside `control_child`)
 * @returns the reply object
 */
export function answerSmart(request: unknown, view: SmartView, childId?: string): Json {
  if (!isObject(request) || typeof request['method'] !== 'string') return { ...JSON_DECODE_FAIL };
  const method = request['method'];
  const params = isObject(request['params']) ? request['params'] : undefined;
  if (method === 'multipleRequest') {
    const requests = params?.['requests'];
    if (!Array.isArray(requests)) return { ...PARAMS_ERROR };
    const responses = requests.map((r: unknown) => {
      const m = isObject(r) && typeof r['method'] === 'string' ? r['method'] : '';
      const p = isObject(r) && isObject(r['params']) ? r['params'] : undefined;
      const a = m === '' || m === 'multipleRequest' ? UNKNOWN_METHOD : one(view, m, p, childId);
      return { method: m, ...a };
    });
    return { error_code: 0, result: { responses } };
  }
  if (method === 'control_child' && childId === undefined) {
    const id = params?.['device_id'];
    if (typeof id !== 'string' || !view.hasChild(id)) return { ...PARAMS_ERROR };
    return {
      error_code: 0,
      result: { responseData: answerSmart(params?.['requestData'], view, id) },
    };
  }
  return { ...one(view, method, params, childId) };
}

function one(
  view: SmartView,
  method: string,
  params: Json | undefined,
  childId?: string,
): SmartAnswer {
  const a = view.call(method, params, childId);
  return a.result === undefined
    ? { error_code: a.error_code }
    : { result: a.result, error_code: a.error_code };
}
