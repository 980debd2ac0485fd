/**
 * The TP-Link account keys: `kasa.*` with their environment variables, a device's own account,
 * password files checked at load time, secrets redacted, and `devices[].transport`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountFor } from '../../src/config/kasa-account.js';
import { loadConfig } from '../../src/config/load.js';
import { redactConfig } from '../../src/config/redact.js';
import { configFile, fileError, loadError } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kasa-account-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const passwordFile = join(dir, 'tplink.pw');
writeFileSync(passwordFile, 'From-File-1\n');

describe('kasa account configuration', () => {
  it('takes the account from the environment and redacts it everywhere', () => {
    const file = configFile({
      devices: [
        { host: '192.0.2.10' },
        { host: '192.0.2.11', username: 'other@example.com', password: 'Own-Secret-2' },
      ],
    });
    const config = loadConfig({
      file,
      env: { KASA_USERNAME: 'me@example.com', KASA_PASSWORD: 'Env-Secret-1' },
    });
    expect(config.kasa).toEqual({
      username: 'me@example.com',
      password: 'Env-Secret-1',
      passwordFile: '',
    });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('Env-Secret-1');
    expect(shown).not.toContain('Own-Secret-2');
    expect(redactConfig(config).kasa.password).toBe('[redacted]');
    expect(accountFor(config.kasa, config.devices[0]!)).toEqual({
      username: 'me@example.com',
      password: 'Env-Secret-1',
      keys: 'kasa.username and kasa.password',
    });
    expect(accountFor(config.kasa, config.devices[1]!)).toMatchObject({
      username: 'other@example.com',
      password: 'Own-Secret-2',
      keys: expect.stringContaining('192.0.2.11'),
    });
  });

  it('reads kasa.passwordFile, and gives no account when none is configured', () => {
    const config = loadConfig({
      file: configFile({ kasa: { username: 'me@example.com', passwordFile } }),
      env: {},
    });
    expect(accountFor(config.kasa, { host: '192.0.2.10', port: 9999 })).toEqual({
      username: 'me@example.com',
      password: 'From-File-1',
      keys: 'kasa.username and kasa.passwordFile',
    });
    expect(
      accountFor(loadConfig({ env: {} }).kasa, { host: '192.0.2.10', port: 9999 }),
    ).toBeUndefined();
  });

  it('refuses a password given twice and a password file that cannot be read', () => {
    loadError(
      { file: configFile({ kasa: { password: 'x', passwordFile } }) },
      'kasa.passwordFile: kasa.password is set too',
    );
    loadError(
      { env: { KASA_PASSWORD_FILE: join(dir, 'missing') } },
      'kasa.passwordFile: cannot read',
      'ENOENT',
    );
    fileError(
      { devices: [{ host: '192.0.2.10', passwordFile: join(dir, 'nope') }] },
      'devices[0].passwordFile',
      'cannot read',
    );
  });

  it('takes devices[].transport, with port 80 by default for klap and aes', () => {
    const config = loadConfig({
      file: configFile({
        devices: [
          { host: '192.0.2.10', transport: 'klap' },
          { host: '192.0.2.11', transport: 'xor' },
        ],
      }),
      env: {},
    });
    expect(config.devices).toEqual([
      { host: '192.0.2.10', port: 80, transport: 'klap' },
      { host: '192.0.2.11', port: 9999, transport: 'xor' },
    ]);
    fileError(
      { devices: [{ host: '192.0.2.10', transport: 'tls' }] },
      'devices[0].transport',
      'must be one of',
    );
  });
});
