/**
 * What the two HTTP transports (`klap.ts`, `aes.ts`) share about a session over `http.ts`: the
 * cookie it is sent back with, when it is renewed, and the error for an HTTP error status.
 * Public account of the cookies and the life: python-kasa's `kasa/transports/klaptransport.py`
 * and `aestransport.py`.
 */
import { PlugError, PlugErrorCode } from '../../errors.js';

/** Session life when the plug sends no `TIMEOUT` cookie, s (python-kasa `ONE_DAY_SECONDS`). */
export const DEFAULT_SESSION_S = 86_400;
/** The largest margin kept before a session's end, ms (python-kasa: 20 min). */
const EXPIRY_MARGIN_MS = 20 * 60_000;

/**
 * The `Cookie` a session is sent back with.
 * @param id the session id the plug set (`TP_SESSIONID`, or `SESSIONID` on some AES firmware)
 * @returns `TP_SESSIONID=<id>`, or undefined when the plug set none
 */
export function sessionCookie(id: string | undefined): string | undefined {
  return id === undefined ? undefined : `TP_SESSIONID=${id}`;
}

/**
 * When a session is renewed before use: its life (the `TIMEOUT` cookie, s; absent or not a
 * positive number: {@link DEFAULT_SESSION_S}) less a margin of 20 minutes or a quarter of the
 * life, whichever is less.
 * @param started monotonic ms when the handshake began
 * @param cookies the handshake reply's cookies
 * @returns monotonic ms
 */
export function renewAt(started: number, cookies: Record<string, string>): number {
  const lifeS = Number(cookies['TIMEOUT'] ?? DEFAULT_SESSION_S);
  const lifeMs = (Number.isFinite(lifeS) && lifeS > 0 ? lifeS : DEFAULT_SESSION_S) * 1000;
  return started + lifeMs - Math.min(EXPIRY_MARGIN_MS, lifeMs / 4);
}

/**
 * The error for a reply whose HTTP status is not 200.
 * @param target `host:port`
 * @param what the exchange, e.g. `KLAP handshake2`
 * @param status the HTTP status
 * @param suffix appended to the message
 * @returns a PlugError PLUG_DEVICE_ERROR
 */
export function httpStatusError(
  target: string,
  what: string,
  status: number,
  suffix = '',
): PlugError {
  return new PlugError(
    PlugErrorCode.DEVICE_ERROR,
    target,
    `${what} answered HTTP ${status}${suffix}`,
  );
}
