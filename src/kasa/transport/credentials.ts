/**
 * The TP-Link account a KLAP or AES plug checks during its handshake or login, and the accounts
 * tried after it. A plug bound to a cloud account in the Kasa or Tapo app accepts that account
 * (e-mail and password, both case-sensitive); a plug never bound accepts the blank account, and
 * firmware also accepts a default setup account at times (python-kasa `kasa/credentials.py`
 * `DEFAULT_CREDENTIALS`, and the note at the top of `kasa/transports/klaptransport.py`: devices
 * "switch intermittently between the users cloud credentials and default kasa credentials").
 */

/** One account: cloud e-mail and password, as typed in the Kasa or Tapo app. */
export interface Credentials {
  username: string;
  password: string;
  /**
   * Which configuration keys hold this account, for messages (e.g. `kasa.username and
   * kasa.password (or kasa.passwordFile)`); absent for the built-in accounts.
   */
  keys?: string;
}

/** The blank account: what a plug that was never bound to a cloud account accepts. */
export const BLANK_ACCOUNT: Credentials = { username: '', password: '' };

/**
 * The default setup account KLAP firmware accepts (python-kasa `DEFAULT_CREDENTIALS["KASA"]`,
 * stored there base64-encoded; the values are public).
 */
export const KASA_SETUP_ACCOUNT: Credentials = {
  username: 'kasa@tp-link.net',
  password: 'kasaSetup',
};

/** The default account AES (Tapo) firmware accepts (python-kasa `DEFAULT_CREDENTIALS["TAPO"]`). */
export const TAPO_SETUP_ACCOUNT: Credentials = { username: 'test@tp-link.net', password: 'test' };

/**
 * The accounts to try, in order: the configured one (or the blank one when none is configured),
 * then the transport's default account, then the blank one. Duplicates are left out.
 * @param configured the user's account, if any
 * @param fallback the transport's default account ({@link KASA_SETUP_ACCOUNT} or
 *   {@link TAPO_SETUP_ACCOUNT})
 */
export function accountsToTry(
  configured: Credentials | undefined,
  fallback: Credentials,
): Credentials[] {
  const out: Credentials[] = [];
  for (const c of [configured ?? BLANK_ACCOUNT, fallback, BLANK_ACCOUNT]) {
    if (!out.some((o) => o.username === c.username && o.password === c.password)) out.push(c);
  }
  return out;
}

/** True when a non-blank account was configured. */
export function hasAccount(c: Credentials | undefined): c is Credentials {
  return c !== undefined && (c.username !== '' || c.password !== '');
}
