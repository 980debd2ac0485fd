/**
 * The SMART protocol's `error_code`s and what each means for the collector, classified once here
 * (python-kasa `kasa/exceptions.py`: `SmartErrorCode`, `SMART_RETRYABLE_ERRORS`,
 * `SMART_AUTHENTICATION_ERRORS`). A code appears in three places: the AES envelope
 * (`securePassthrough`'s own answer), a whole reply, and each answer inside a `multipleRequest`.
 */
import { PlugError, PlugErrorCode } from '../../errors.js';

/** The names of the codes the collector may meet (python-kasa's `SmartErrorCode` names). */
export const SMART_ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'SUCCESS',
  9999: 'SESSION_TIMEOUT_ERROR',
  1200: 'MULTI_REQUEST_FAILED_ERROR',
  1112: 'HTTP_TRANSPORT_FAILED_ERROR',
  1111: 'LOGIN_FAILED_ERROR',
  1100: 'HAND_SHAKE_FAILED_ERROR',
  1003: 'TRANSPORT_UNKNOWN_CREDENTIALS_ERROR',
  1002: 'TRANSPORT_NOT_AVAILABLE_ERROR',
  1001: 'CMD_COMMAND_CANCEL_ERROR',
  1000: 'NULL_TRANSPORT_ERROR',
  [-1]: 'COMMON_FAILED_ERROR',
  [-1001]: 'UNSPECIFIC_ERROR',
  [-1002]: 'UNKNOWN_METHOD_ERROR',
  [-1003]: 'JSON_DECODE_FAIL_ERROR',
  [-1004]: 'JSON_ENCODE_FAIL_ERROR',
  [-1005]: 'AES_DECODE_FAIL_ERROR',
  [-1006]: 'REQUEST_LEN_ERROR_ERROR',
  [-1007]: 'CLOUD_FAILED_ERROR',
  [-1008]: 'PARAMS_ERROR',
  [-1010]: 'INVALID_PUBLIC_KEY_ERROR',
  [-1101]: 'SESSION_PARAM_ERROR',
  [-1301]: 'DEVICE_ERROR',
  [-1501]: 'LOGIN_ERROR',
  [-40401]: 'SESSION_EXPIRED',
  [-40413]: 'INVALID_NONCE',
};

/** What a code asks the caller to do. */
export type SmartErrorKind =
  /** The session is gone: handshake (and log in) again, then resend. */
  | 'session'
  /** The account was rejected. */
  | 'auth'
  /** The device does not have this method, or not with these params: optional methods skip it. */
  | 'unsupported'
  /** Anything else: the request failed. */
  | 'failed';

const SESSION = new Set([9999, -40401, 1002, 1112, -1001, -40413]);
const AUTH = new Set([-1501, 1111, 1100, 1003, -1005]);
const UNSUPPORTED = new Set([-1002, -1008]);

/**
 * Classifies an `error_code` (python-kasa treats the session codes as retryable after a reset
 * and the account codes as authentication errors; `-1005` AES_DECODE_FAIL is one of the latter:
 * the plug could not decrypt with the session's key).
 * @param code a non-zero `error_code`
 */
export function smartErrorKind(code: number): SmartErrorKind {
  if (SESSION.has(code)) return 'session';
  if (AUTH.has(code)) return 'auth';
  if (UNSUPPORTED.has(code)) return 'unsupported';
  return 'failed';
}

/** `-1002 UNKNOWN_METHOD_ERROR`, or `<code>` for one without a known name. */
export function smartErrorName(code: unknown): string {
  const name = typeof code === 'number' ? SMART_ERROR_NAMES[code] : undefined;
  return name === undefined ? String(JSON.stringify(code)) : `${String(code)} ${name}`;
}

/**
 * A `PlugError` for an `error_code` that ends a request: PLUG_AUTH for account codes,
 * PLUG_DEVICE_ERROR otherwise (a session code still there after a fresh session included).
 * @param target `host:port`, for the message
 * @param code the `error_code`
 * @param where what answered it, e.g. `get_device_info`, `securePassthrough`
 */
export function smartError(target: string, code: unknown, where: string): PlugError {
  const kind = typeof code === 'number' ? smartErrorKind(code) : 'failed';
  return new PlugError(
    kind === 'auth' ? PlugErrorCode.AUTH : PlugErrorCode.DEVICE_ERROR,
    target,
    `${where} answered error_code ${smartErrorName(code)}`,
  );
}
