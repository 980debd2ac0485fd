/**
 * The TP-Link account and forced transport of the one-shot tools (`poll`, `send`): from
 * `--username` and `--password-file`, else the same environment variables the service reads
 * (`KASA_USERNAME`, `KASA_PASSWORD`, `KASA_PASSWORD_FILE`; docs/devices.md). A password is never
 * taken on the command line, where `ps` would show it.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { TransportKind } from '../kasa/discovery.js';
import type { Credentials } from '../kasa/transport/credentials.js';

/** The flags as parsed. */
export interface AccountFlags {
  username?: string;
  'password-file'?: string;
  transport?: string;
}

/** The option definitions for `parseArgs`. */
export const ACCOUNT_OPTIONS = {
  username: { type: 'string' },
  'password-file': { type: 'string' },
  transport: { type: 'string' },
} as const;

/**
 * @param flags the parsed flags
 * @param env the environment
 * @returns the account (undefined when neither flags nor environment give one) and the forced
 *   transport
 * @throws ConfigError on an unknown transport or a password file that cannot be read
 */
export function accountFromFlags(
  flags: AccountFlags,
  env: NodeJS.ProcessEnv,
): { account?: Credentials; transport?: TransportKind } {
  const out: { account?: Credentials; transport?: TransportKind } = {};
  const t = flags.transport;
  if (t !== undefined) {
    if (t !== 'xor' && t !== 'klap' && t !== 'aes')
      throw new ConfigError(`--transport "${t}" must be xor, klap or aes`);
    out.transport = t;
  }
  const username = flags.username ?? env['KASA_USERNAME'];
  const file = flags['password-file'] ?? env['KASA_PASSWORD_FILE'];
  let password = env['KASA_PASSWORD'];
  if (file !== undefined && file !== '') {
    try {
      password = (readFileSync(file, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      throw new ConfigError(`--password-file: cannot read ${file} (${code})`);
    }
  }
  if ((username ?? '') === '' && (password ?? '') === '') return out;
  out.account = {
    username: username ?? '',
    password: password ?? '',
    keys: '--username and --password-file (or $KASA_USERNAME and $KASA_PASSWORD)',
  };
  return out;
}
