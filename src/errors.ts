/**
 * Stable error codes for everything that can go wrong talking to a plug.
 *
 * The transport classifies low (python-kasa's habit: `xortransport.py` tells refused and
 * unreachable apart from retryable faults); the poller and CLI decide what to do with a code.
 * Codes are part of the public surface: they appear in logs, in `kasa-collector poll` output and
 * in metrics, so they never change meaning.
 */
export const PlugErrorCode = {
  /** TCP RST on connect: nothing listens on the port (plug off, wrong port, or a KLAP plug). */
  REFUSED: 'PLUG_REFUSED',
  /** No route, host down or name not resolvable. */
  UNREACHABLE: 'PLUG_UNREACHABLE',
  /** Connect or the whole request took longer than `poll.timeout`. */
  TIMEOUT: 'PLUG_TIMEOUT',
  /** The plug closed or reset the connection before a whole reply arrived. */
  CLOSED: 'PLUG_CLOSED',
  /** The reply's 4-byte length prefix is 0 or above the 64 KiB cap. */
  BAD_LENGTH: 'PLUG_BAD_LENGTH',
  /** The decrypted reply is not JSON, or not a JSON object. */
  BAD_JSON: 'PLUG_BAD_JSON',
  /** The reply is JSON but lacks what was asked for, or carries values of the wrong type. */
  BAD_REPLY: 'PLUG_BAD_REPLY',
  /** The plug answered with `err_code != 0` at module or method level. */
  DEVICE_ERROR: 'PLUG_DEVICE_ERROR',
  /**
   * A KLAP or AES plug rejected every account tried (the configured TP-Link account, the default
   * and blank accounts unbound plugs accept): fix `kasa.username` / `kasa.password` (or
   * `kasa.passwordFile`, or the device's own `username` / `password`). Retried with a back-off.
   */
  AUTH: 'PLUG_AUTH',
} as const;

/** One of the {@link PlugErrorCode} values. */
export type PlugErrorCode = (typeof PlugErrorCode)[keyof typeof PlugErrorCode];

/**
 * A failed exchange with one plug. `code` is stable; `message` names the plug and, where there
 * is one, what the user can do about it.
 */
export class PlugError extends Error {
  override readonly name = 'PlugError';

  /**
   * @param code stable classification, see {@link PlugErrorCode}
   * @param target `host:port` of the plug
   * @param message human-readable detail (the target is prefixed automatically)
   * @param cause the underlying socket or parse error, if any
   */
  constructor(
    readonly code: PlugErrorCode,
    readonly target: string,
    message: string,
    cause?: unknown,
  ) {
    super(`${target}: ${message}`, cause === undefined ? undefined : { cause });
  }
}

/**
 * A configuration problem: bad JSON, unknown key, wrong type, duplicate name or node.
 * The CLI prints `message` and exits with code 2.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * @param message names the file and the key, and says how to fix it
   */
  constructor(message: string) {
    super(message);
  }
}

/** True when `err` is a {@link PlugError} (narrowing helper for `catch` blocks). */
export function isPlugError(err: unknown): err is PlugError {
  return err instanceof PlugError;
}
