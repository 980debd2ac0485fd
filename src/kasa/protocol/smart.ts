/**
 * The SMART protocol's requests and replies, as pure functions (python-kasa
 * `kasa/protocols/smartprotocol.py`). A request is `{"method": …, "params": …,
 * "request_time_milis": …, "terminal_uuid": …}`; a reply `{"error_code": 0, "result": …}`.
 *
 * - `multipleRequest` carries several methods in one exchange:
 *   `{"method":"multipleRequest","params":{"requests":[{"method":"get_device_info"},…]}}`,
 *   answered `{"result":{"responses":[{"method":…,"result":…,"error_code":0},…]}}`, each with its
 *   own `error_code`.
 * - `control_child` addresses one outlet of a strip (P304M, P316M):
 *   `{"method":"control_child","params":{"device_id":<child>,"requestData":<request>}}`, answered
 *   `{"result":{"responseData":<reply>}}`.
 * - Lists come in pages: `get_child_device_list` answers `start_index`, `sum` and a page of
 *   `child_device_list`; the next page is asked with `{"start_index": <count so far>}`.
 */
import { randomBytes } from 'node:crypto';
import { PlugError, PlugErrorCode } from '../../errors.js';
import { isObject, parseJsonObject, type Json } from './json.js';
import { smartError, smartErrorKind, type SmartErrorKind } from './smart-errors.js';

/** One method call. */
export interface SmartCall {
  method: string;
  params?: Json;
}

/** One method's answer inside a `multipleRequest`. */
export interface MethodAnswer {
  /** `error_code`, 0 on success. */
  code: number;
  /** `result`, when it is an object. */
  result?: Json;
}

/**
 * A random terminal id (python-kasa: base64 of the MD5 of a random UUID): 16 random bytes,
 * base64, made once per client.
 */
export function terminalUuid(): string {
  return randomBytes(16).toString('base64');
}

/**
 * One request's JSON text.
 * @param call method and params
 * @param nowMs wall-clock ms for `request_time_milis`
 * @param terminal the client's {@link terminalUuid}
 */
export function smartRequest(call: SmartCall, nowMs: number, terminal: string): string {
  const request: Json = { method: call.method };
  if (call.params !== undefined) request['params'] = call.params;
  request['request_time_milis'] = Math.round(nowMs);
  request['terminal_uuid'] = terminal;
  return JSON.stringify(request);
}

/** The `multipleRequest` call of several methods. */
export function multipleCall(calls: readonly SmartCall[]): SmartCall {
  return { method: 'multipleRequest', params: { requests: calls.map((c) => ({ ...c })) } };
}

/** The `control_child` call that sends `inner` to the outlet `deviceId`. */
export function controlChildCall(deviceId: string, inner: SmartCall): SmartCall {
  return { method: 'control_child', params: { device_id: deviceId, requestData: { ...inner } } };
}

/** `set_device_info {"device_on": on}`: the relay. */
export function relayCall(on: boolean): SmartCall {
  return { method: 'set_device_info', params: { device_on: on } };
}

/**
 * Parses a reply's JSON and checks its `error_code`.
 * @param body decrypted reply bytes
 * @param target `host:port`, for messages
 * @param where the method asked, for messages
 * @returns the `result` object (`{}` when absent, as for `set_device_info`)
 * @throws PlugError PLUG_BAD_JSON (not a JSON object), PLUG_AUTH / PLUG_DEVICE_ERROR
 *   (`error_code != 0`, see `smart-errors.ts`)
 */
export function parseSmartReply(body: Buffer, target: string, where: string): Json {
  return checkAnswer(parseJsonObject(body, target, `${where} reply`), target, where);
}

/** `error_code` 0 and an object `result` (or none), else the matching PlugError. */
function checkAnswer(parsed: unknown, target: string, where: string): Json {
  if (!isObject(parsed)) {
    throw new PlugError(PlugErrorCode.BAD_JSON, target, `${where} reply is not a JSON object`);
  }
  const code = parsed['error_code'];
  if (code !== 0) throw smartError(target, code, where);
  const result = parsed['result'];
  if (result === undefined) return {};
  if (!isObject(result)) {
    throw new PlugError(PlugErrorCode.BAD_REPLY, target, `${where} result is not an object`);
  }
  return result;
}

/**
 * The answers inside a `multipleRequest` result. Only the methods asked are kept; a method
 * answered twice keeps its first answer.
 * @param result the `multipleRequest` result
 * @param asked the methods asked
 * @param target `host:port`, for messages
 * @returns each asked method's code and result (a method the device left out is absent)
 * @throws PlugError PLUG_BAD_REPLY when `responses` is not an array of objects with a `method`
 */
export function multipleAnswers(
  result: Json,
  asked: readonly string[],
  target: string,
): Map<string, MethodAnswer> {
  const responses = result['responses'];
  if (!Array.isArray(responses)) {
    throw new PlugError(PlugErrorCode.BAD_REPLY, target, 'multipleRequest without responses[]');
  }
  const out = new Map<string, MethodAnswer>();
  for (const r of responses) {
    if (!isObject(r) || typeof r['method'] !== 'string') {
      throw new PlugError(PlugErrorCode.BAD_REPLY, target, 'multipleRequest answer without method');
    }
    const method = r['method'];
    if (!asked.includes(method) || out.has(method)) continue;
    const code = typeof r['error_code'] === 'number' ? r['error_code'] : Number.NaN;
    const answer: MethodAnswer = { code };
    if (isObject(r['result'])) answer.result = r['result'];
    out.set(method, answer);
  }
  return out;
}

/**
 * The `responseData` of a `control_child` result, checked like a reply of its own.
 * @param result the `control_child` result
 * @param target `host:port outlet n`, for messages
 * @param where the inner method, for messages
 * @throws PlugError as {@link parseSmartReply}
 */
export function childResponse(result: Json, target: string, where: string): Json {
  return checkAnswer(result['responseData'], target, `control_child ${where}`);
}

/**
 * What an answer inside a `multipleRequest` means.
 * @returns `ok`, or the kind of its error (`smart-errors.ts`); a missing or non-numeric code is
 *   `failed`
 */
export function answerKind(answer: MethodAnswer | undefined): 'ok' | SmartErrorKind {
  if (answer === undefined || !Number.isFinite(answer.code)) return 'failed';
  return answer.code === 0 ? 'ok' : smartErrorKind(answer.code);
}

/**
 * Requires a method's answer to be a success with a result.
 * @throws PlugError PLUG_BAD_REPLY (missing), PLUG_AUTH / PLUG_DEVICE_ERROR (its `error_code`)
 */
export function requireAnswer(
  answers: Map<string, MethodAnswer>,
  method: string,
  target: string,
): Json {
  const a = answers.get(method);
  if (a === undefined) {
    throw new PlugError(PlugErrorCode.BAD_REPLY, target, `reply lacks ${method}`);
  }
  if (a.code !== 0) throw smartError(target, a.code, method);
  if (a.result === undefined) {
    throw new PlugError(PlugErrorCode.BAD_REPLY, target, `${method} answered without a result`);
  }
  return a.result;
}

/** Component ids and versions from `component_nego` (`{"component_list":[{"id","ver_code"}]}`). */
export function parseComponents(result: Json, target: string): Map<string, number> {
  const list = result['component_list'];
  if (!Array.isArray(list)) {
    throw new PlugError(PlugErrorCode.BAD_REPLY, target, 'component_nego without component_list');
  }
  const out = new Map<string, number>();
  for (const c of list) {
    if (isObject(c) && typeof c['id'] === 'string' && typeof c['ver_code'] === 'number')
      out.set(c['id'], c['ver_code']);
  }
  return out;
}

/**
 * The energy methods a device (or outlet) with `energy_monitoring` version `version` answers
 * (python-kasa `Energy.query`): v1 `get_energy_usage` only; v2 also `get_current_power` and
 * `get_emeter_data`.
 * @param version the component's `ver_code`, or undefined without the component
 */
export function energyMethods(version: number | undefined): string[] {
  if (version === undefined) return [];
  return version > 1
    ? ['get_emeter_data', 'get_energy_usage', 'get_current_power']
    : ['get_energy_usage'];
}
