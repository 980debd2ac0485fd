/**
 * What the two HTTP transports (`klap.ts`, `aes.ts`) share about a session over `http.ts`: the
 * connection and the account back-off it lives with, its reuse until renewal, the cookie it is
 * sent back with, when it is renewed, and the error for an HTTP error status. Public account of
 * the cookies and the life: python-kasa's `kasa/transports/klaptransport.py` and
 * `aestransport.py`.
 */
import { systemClock, type Clock } from '../../clock.js';
import { PlugError, PlugErrorCode } from '../../errors.js';
import { AuthBackoff } from './auth-backoff.js';
import { timeLeft } from './deadline.js';
import { HttpClient } from './http.js';
import type { PlugAddress } from './transport.js';

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

/** A session as a transport keeps it: whatever it holds, and when it is renewed. */
export interface TimedSession {
  /** Monotonic ms after which the session is renewed before use ({@link renewAt}). */
  renewAt: number;
}

/**
 * One plug's HTTP connection, account back-off and session, as a KLAP or AES transport holds them:
 * the session is reused until its renewal time (and while `usable` says so), opened afresh through
 * `open` otherwise, and dropped by the transport whenever the plug shows it forgot it.
 */
export class HttpSessionHolder<S extends TimedSession> {
  /** `host:port`, for messages. */
  readonly target: string;
  readonly http: HttpClient;
  readonly clock: Clock;
  /** The back-off after a rejected account (`auth-backoff.ts`). */
  readonly backoff: AuthBackoff;
  #session: S | undefined;

  /**
   * @param address the plug's HTTP address
   * @param clock monotonic time for renewal and back-off; default the system clock
   * @param open handshakes (and logs in) within a deadline, ms; throws as the transport does
   * @param usable false when a session must be renewed early (KLAP: its sequence numbers run out)
   */
  constructor(
    address: PlugAddress,
    clock: Clock | undefined,
    private readonly open: (timeoutMs: number) => Promise<S>,
    private readonly usable: (session: S) => boolean = () => true,
  ) {
    this.target = `${address.host}:${address.port}`;
    this.http = new HttpClient(address);
    this.clock = clock ?? systemClock;
    this.backoff = new AuthBackoff(this.clock);
  }

  /**
   * Starts a request: refuses it while the account back-off lasts, then starts its deadline.
   * @param timeoutMs the request's deadline, ms
   * @returns the time left of it, ms ({@link timeLeft})
   * @throws PlugError PLUG_AUTH while backing off
   */
  begin(timeoutMs: number): () => number {
    this.backoff.check();
    return timeLeft(this.clock, timeoutMs);
  }

  /**
   * The session to use: the current one while it lives, else a new one from `open`.
   * @param timeoutMs the deadline for opening one, ms
   * @throws as `open` does
   */
  async live(timeoutMs: number): Promise<S> {
    const s = this.#session;
    if (s !== undefined && this.clock.monotonic() < s.renewAt && this.usable(s)) return s;
    this.#session = undefined;
    const session = await this.open(timeoutMs);
    this.#session = session;
    return session;
  }

  /** Forgets the session; the next {@link live} opens one. */
  drop(): void {
    this.#session = undefined;
  }

  /** Drops the session and the connection. Safe to call twice. */
  close(): void {
    this.#session = undefined;
    this.http.close();
  }
}
