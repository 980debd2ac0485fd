/**
 * Stable error codes: one registry for everything that can fail, whichever layer fails (fastify's
 * `lib/errors.js` habit). Codes are part of the public surface: they appear in logs, in
 * `kasa-collector poll` output and in metrics (`kasa_polls_total{result}`), so they never change
 * meaning. `docs/error-codes.md` lists them for users.
 *
 * Classify low, decide high: the layer that sees a failure gives it a code (the transport for a
 * socket error, python-kasa's `kasa/transports/xortransport.py` habit; a sink's sender for its
 * own); the layer above decides what to do from {@link ERROR_CODES}, never from raw errno strings.
 */

/** Failures talking to a plug. */
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

/** Polls that failed on the collector's side: the plug was not asked, or the collector broke. */
export const PollErrorCode = {
  /**
   * The tick ended (the next one came) before a worker was free for this plug: the fleet needs
   * more time than `poll.concurrency` workers have in one `poll.interval`.
   */
  NOT_STARTED: 'POLL_NOT_STARTED',
  /** The plug's poll from an earlier tick was still running (never two polls of a plug at once). */
  OVERLAP: 'POLL_OVERLAP',
  /** An unexpected exception in the poll path: a bug in the collector, not the plug's fault. */
  INTERNAL: 'INTERNAL_ERROR',
  /**
   * The plug answered with the MAC or deviceId of another configured device that answered first:
   * one plug listed twice (by IP and by host name, say). Its readings are published once, under
   * the first device; this entry's poll counts as failed.
   */
  DUPLICATE: 'POLL_DUPLICATE',
} as const;

/** One of the {@link PollErrorCode} values. */
export type PollErrorCode = (typeof PollErrorCode)[keyof typeof PollErrorCode];

/** Failures of a sink reaching its remote end (the MQTT broker, emonhub). */
export const SinkErrorCode = {
  /** Connection refused (restarting?), or the MQTT broker said it is unavailable or busy. */
  REFUSED: 'SINK_REFUSED',
  /** No route, host down or name not resolvable. */
  UNREACHABLE: 'SINK_UNREACHABLE',
  /** Connect, handshake or keepalive took too long. */
  TIMEOUT: 'SINK_TIMEOUT',
  /** The connection failed or was lost otherwise (reset, broken pipe, closed mid-exchange). */
  CLOSED: 'SINK_CLOSED',
  /** The MQTT broker refused the login: user name, password or ACL. */
  AUTH: 'SINK_AUTH',
  /** The TLS handshake failed: certificate untrusted, expired or for another host, or none sent. */
  TLS: 'SINK_TLS',
  /** The MQTT broker refused the connection for a protocol reason (version, client id, limits). */
  PROTOCOL: 'SINK_PROTOCOL',
  /** The MQTT broker refused one message (an MQTT 5 reason code on PUBACK/PUBREC). */
  REJECTED: 'SINK_REJECTED',
} as const;

/** One of the {@link SinkErrorCode} values. */
export type SinkErrorCode = (typeof SinkErrorCode)[keyof typeof SinkErrorCode];

/** Every stable code. */
export type ErrorCode = PlugErrorCode | PollErrorCode | SinkErrorCode;

/** What the registry says about one code. */
export interface ErrorCodeSpec {
  /**
   * True when the failure is transient: the same request, sent again unchanged within seconds,
   * can succeed without anyone acting (a timeout, a dropped connection, a broker restarting).
   * False when it fails the same way until something changes: the plug (off, another protocol),
   * the network, the configuration, the broker's users and ACLs, or the collector's code.
   */
  retryable: boolean;
  /** What it means, in one line: the words of `docs/error-codes.md`. */
  meaning: string;
}

/**
 * The registry: every code, whether it is retryable and what it means.
 *
 * Plug side, python-kasa's line (`xortransport.py` raises refused and host-unreachable as final,
 * everything else of the socket and the framing as `_RetryableError`; `iotprotocol.py` does not
 * retry an answer carrying an error code). Sink side, a remote end that is down is expected back
 * (a broker or emonhub restarting), so refused and unreachable are retryable there.
 */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeSpec>> = {
  PLUG_REFUSED: {
    retryable: false,
    meaning:
      'nothing listens on the port: plug off, or wrong address or port (a newer plug that closed port 9999 is looked up on UDP 20002 instead)',
  },
  PLUG_UNREACHABLE: {
    retryable: false,
    meaning: 'no route to the plug, host down, or its name does not resolve',
  },
  PLUG_TIMEOUT: { retryable: true, meaning: 'no complete answer within poll.timeout' },
  PLUG_CLOSED: { retryable: true, meaning: 'the plug closed or reset the connection mid-reply' },
  PLUG_BAD_LENGTH: {
    retryable: true,
    meaning: "the reply's length prefix is 0 or above the 64 KiB cap",
  },
  PLUG_BAD_JSON: { retryable: true, meaning: 'the decrypted reply is not a JSON object' },
  PLUG_BAD_REPLY: {
    retryable: false,
    meaning: 'the reply lacks what was asked for, or a value has the wrong type',
  },
  PLUG_DEVICE_ERROR: { retryable: false, meaning: 'the plug answered err_code other than 0' },
  PLUG_AUTH: {
    retryable: false,
    meaning:
      "a KLAP or AES plug refused the TP-Link account: set kasa.username and kasa.password (or the device's own); the transport backs off before it tries again",
  },
  POLL_NOT_STARTED: {
    retryable: false,
    meaning:
      'not polled: the next tick came before a worker was free; raise poll.concurrency or poll.interval',
  },
  POLL_OVERLAP: {
    retryable: true,
    meaning:
      "not polled: the plug's poll from an earlier tick was still running (a plug is never polled twice at once)",
  },
  POLL_DUPLICATE: {
    retryable: false,
    meaning:
      'the plug reports the MAC or deviceId of another configured device, which answered first: one plug listed twice; remove one entry',
  },
  INTERNAL_ERROR: {
    retryable: false,
    meaning:
      'an unexpected exception in the poll or relay path: a bug in the collector, logged at error with its stack',
  },
  SINK_REFUSED: {
    retryable: true,
    meaning: 'connection refused, or the MQTT broker is unavailable or busy',
  },
  SINK_UNREACHABLE: {
    retryable: true,
    meaning: 'no route to the broker or emonhub, host down, or its name does not resolve',
  },
  SINK_TIMEOUT: { retryable: true, meaning: 'connect, handshake or keepalive took too long' },
  SINK_CLOSED: {
    retryable: true,
    meaning: 'the connection failed or was lost (reset, broken pipe)',
  },
  SINK_AUTH: {
    retryable: false,
    meaning: 'the MQTT broker refused the login: user name, password or ACL',
  },
  SINK_TLS: {
    retryable: false,
    meaning: 'TLS handshake failed: untrusted, expired or wrong-host certificate, or none sent',
  },
  SINK_PROTOCOL: {
    retryable: false,
    meaning: 'the MQTT broker refused the connection for a protocol reason (version, client id)',
  },
  SINK_REJECTED: {
    retryable: false,
    meaning: 'the MQTT broker refused one message (MQTT 5 reason code): it is dropped',
  },
};

/**
 * Whether a failure with `code` may succeed when the same request is sent again (see
 * {@link ErrorCodeSpec.retryable}).
 * @param code a stable code
 */
export function isRetryable(code: ErrorCode): boolean {
  return ERROR_CODES[code].retryable;
}

/**
 * Socket error codes (`errno` names Node puts in `err.code`) that mean "no way to the host": no
 * route, host or network down, name not resolvable. Shared by the plug transports and the sinks.
 */
export const UNREACHABLE_ERRNOS: ReadonlySet<string> = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/**
 * A failure with a stable code. `message` names the target and, where there is one, what the
 * user can do about it.
 * @typeParam C the family of codes a subclass carries
 */
export abstract class CodedError<C extends ErrorCode = ErrorCode> extends Error {
  /**
   * @param code stable classification, see {@link ERROR_CODES}
   * @param target what failed: `host:port` of a plug or of a sink's remote end
   * @param message human-readable detail (the target is prefixed automatically)
   * @param cause the underlying socket or parse error, if any
   */
  constructor(
    readonly code: C,
    readonly target: string,
    message: string,
    cause?: unknown,
  ) {
    super(`${target}: ${message}`, cause === undefined ? undefined : { cause });
  }

  /** From the registry: whether the same request, sent again, may succeed. */
  get retryable(): boolean {
    return isRetryable(this.code);
  }
}

/** A failed exchange with one plug; `code` is one of {@link PlugErrorCode}. */
export class PlugError extends CodedError<PlugErrorCode> {
  override readonly name = 'PlugError';
}

/** A poll that failed on the collector's side; `code` is one of {@link PollErrorCode}. */
export class PollError extends CodedError<PollErrorCode> {
  override readonly name = 'PollError';
}

/** A sink that could not reach or use its remote end; `code` is one of {@link SinkErrorCode}. */
export class SinkError extends CodedError<SinkErrorCode> {
  override readonly name = 'SinkError';
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
