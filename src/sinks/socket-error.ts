/**
 * Socket errors of a sink's connection (to the MQTT broker, to emonhub) as stable sink codes, so
 * logs and decisions never depend on raw errno strings. A sink's remote end that refuses or
 * cannot be reached is expected back (a restart, a network coming up): see `ERROR_CODES`.
 */
import { SinkErrorCode, UNREACHABLE_ERRNOS } from '../errors.js';

/** errno names that mean the established connection broke. */
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * The sink code of a socket-level errno.
 * @param errno what Node put in `err.code` (`ECONNREFUSED`, `EHOSTUNREACH`, …)
 * @returns `SINK_REFUSED`, `SINK_UNREACHABLE`, `SINK_TIMEOUT` or `SINK_CLOSED`; undefined when
 *   `errno` is not a socket error this knows (the caller classifies it otherwise)
 */
export function socketErrorCode(errno: unknown): SinkErrorCode | undefined {
  if (typeof errno !== 'string') return undefined;
  if (errno === 'ECONNREFUSED') return SinkErrorCode.REFUSED;
  if (UNREACHABLE_ERRNOS.has(errno)) return SinkErrorCode.UNREACHABLE;
  if (errno === 'ETIMEDOUT') return SinkErrorCode.TIMEOUT;
  if (LOST.has(errno)) return SinkErrorCode.CLOSED;
  return undefined;
}
