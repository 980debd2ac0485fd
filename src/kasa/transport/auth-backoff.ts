/**
 * Back-off after a rejected account. A plug that rejects the account will reject it again on
 * the next poll: handshaking every tick only loads the plug (some firmware locks the account
 * out for a while after repeated failures) and fills the log. So after a `PLUG_AUTH` failure
 * the transport answers from memory, without touching the network, until the back-off ends:
 * 1 min, then doubling up to 30 min. A success resets it.
 */
import type { Clock } from '../../clock.js';
import { PlugError, PlugErrorCode } from '../../errors.js';

/** First back-off after a rejected account, ms. */
export const AUTH_BACKOFF_FIRST_MS = 60_000;
/** Longest back-off, ms. */
export const AUTH_BACKOFF_MAX_MS = 30 * 60_000;

/** Remembers the last rejection and when to try again. */
export class AuthBackoff {
  #until = -Infinity;
  #delay = AUTH_BACKOFF_FIRST_MS;
  #error: PlugError | undefined;

  /** @param clock monotonic time for the back-off */
  constructor(private readonly clock: Clock) {}

  /** True while a rejection is remembered and its back-off has not ended. */
  get active(): boolean {
    return this.#error !== undefined && this.clock.monotonic() < this.#until;
  }

  /**
   * Throws the remembered rejection while the back-off lasts; does nothing otherwise.
   * @throws PlugError PLUG_AUTH
   */
  check(): void {
    const err = this.#error;
    if (err === undefined || this.clock.monotonic() >= this.#until) return;
    const left = Math.ceil((this.#until - this.clock.monotonic()) / 1000);
    throw new PlugError(
      PlugErrorCode.AUTH,
      err.target,
      `${err.message.slice(err.target.length + 2)} (not retried for another ${left} s)`,
    );
  }

  /**
   * Records a rejection and starts (or lengthens) the back-off.
   * @param err the PLUG_AUTH error to answer with meanwhile
   * @returns `err`, for `throw backoff.fail(err)`
   */
  fail(err: PlugError): PlugError {
    this.#error = err;
    this.#until = this.clock.monotonic() + this.#delay;
    this.#delay = Math.min(this.#delay * 2, AUTH_BACKOFF_MAX_MS);
    return err;
  }

  /** The account was accepted: forget any rejection. */
  succeed(): void {
    this.#error = undefined;
    this.#until = -Infinity;
    this.#delay = AUTH_BACKOFF_FIRST_MS;
  }
}

/**
 * The `PLUG_AUTH` message: what was tried and which keys to fix.
 * @param target `host:port`
 * @param configuredKeys the keys holding the configured account (from its `keys`), or undefined
 *   when none is configured
 * @param transport `KLAP` or `AES`
 */
export function authError(
  target: string,
  configuredKeys: string | undefined,
  transport: string,
): PlugError {
  const what =
    configuredKeys === undefined
      ? `no TP-Link account is configured and the plug (${transport}) rejected the default and blank accounts: set kasa.username and kasa.password (or kasa.passwordFile) to the account the plug is bound to in the Kasa or Tapo app`
      : `the plug (${transport}) rejected the TP-Link account in ${configuredKeys}, and the default and blank accounts: check both (they are case-sensitive) against the Kasa or Tapo app`;
  return new PlugError(PlugErrorCode.AUTH, target, what);
}
