import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/config/checks.js';
import { loadConfig } from '../../src/config/load.js';
import { redactConfig } from '../../src/config/redact.js';
import { redactUrl as sinkRedactUrl } from '../../src/sinks/mqtt/sink.js';
import { configFile, fileError, loadError } from './helpers.js';

const SECRET = 'Config-Secret-93kq';
const dir = mkdtempSync(join(tmpdir(), 'kasa-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` to `dir/name`; returns the path. */
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// Shape only: the loader checks for PEM armour, not for valid DER inside.
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n');
const CERT = file('cert.pem', '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n');
const KEY = file('key.pem', '-----BEGIN EC PRIVATE KEY-----\nS0VZ\n-----END EC PRIVATE KEY-----\n');
const PASSWORD_FILE = file('password', `${SECRET}\n`);
const MISSING = join(dir, 'missing.pem');

const TLS = 'mqtts://broker.example:8883';

describe('loadConfig: mqtt.passwordFile', () => {
  it('accepts a readable file and keeps the password out of the config', () => {
    const config = loadConfig({
      file: configFile({ mqtt: { username: 'kasa', passwordFile: PASSWORD_FILE } }),
      env: {},
    });
    expect(config.mqtt).toMatchObject({ passwordFile: PASSWORD_FILE, password: '' });
    expect(JSON.stringify(redactConfig(config))).not.toContain(SECRET);
  });

  it('takes the path from $MQTT_PASSWORD_FILE', () => {
    const config = loadConfig({ env: { MQTT_PASSWORD_FILE: PASSWORD_FILE } });
    expect(config.mqtt.passwordFile).toBe(PASSWORD_FILE);
  });

  it('rejects a password given twice, naming where each half was set, never the password', () => {
    const line = fileError(
      { mqtt: { password: SECRET, passwordFile: PASSWORD_FILE } },
      'mqtt.passwordFile',
      'give the password one way only',
    );
    expect(line).not.toContain(SECRET);
    const fromEnv = loadError(
      {
        file: configFile({ mqtt: { passwordFile: PASSWORD_FILE } }),
        env: { MQTT_PASSWORD: SECRET },
      },
      'mqtt.passwordFile: mqtt.password is set too (in $MQTT_PASSWORD)',
    );
    expect(fromEnv).not.toContain(SECRET);
  });

  it('names the key and the file when the file cannot be read', () => {
    fileError(
      { mqtt: { passwordFile: MISSING } },
      'mqtt.passwordFile',
      `mqtt.passwordFile: cannot read ${MISSING} (ENOENT: no such file); give a file whose first line is the broker password`,
    );
    fileError({ mqtt: { passwordFile: dir } }, 'mqtt.passwordFile', '(EISDIR: it is a directory)');
  });

  it('rejects an empty first line', () => {
    const empty = file('empty-first-line', `\n${SECRET}\n`);
    const line = fileError({ mqtt: { passwordFile: empty } }, 'mqtt.passwordFile', 'empty first');
    expect(line).not.toContain(SECRET);
  });

  it('does not read the files while MQTT is disabled', () => {
    const config = loadConfig({
      file: configFile({
        mqtt: { enabled: false, url: 'mqtt://b', passwordFile: MISSING, ca: MISSING },
      }),
      env: {},
    });
    expect(config.mqtt.ca).toBe(MISSING);
  });
});

describe('loadConfig: mqtt.ca, mqtt.cert, mqtt.key', () => {
  it('accepts PEM files with a TLS URL, verification on by default', () => {
    for (const url of [TLS, 'ssl://broker.example:8883', 'wss://broker.example/mqtt']) {
      const mqtt = loadConfig({
        file: configFile({ mqtt: { url, ca: CA, cert: CERT, key: KEY } }),
        env: {},
      }).mqtt;
      expect(mqtt).toMatchObject({ ca: CA, cert: CERT, key: KEY, rejectUnauthorized: true });
    }
  });

  it.each([
    ['ca', 'give the PEM file of the CA that signed the broker certificate'],
    ['cert', 'give the PEM file of the client certificate the broker expects'],
    ['key', 'give the PEM file of the private key of mqtt.cert'],
  ])('names mqtt.%s and the file when it cannot be read', (key, advice) => {
    const mqtt = { url: TLS, ca: CA, cert: CERT, key: KEY, [key]: MISSING };
    fileError(
      { mqtt },
      `mqtt.${key}`,
      `mqtt.${key}: cannot read ${MISSING} (ENOENT: no such file); ${advice}`,
    );
  });

  it('rejects files that are not PEM, or an encrypted key, without quoting them', () => {
    const der = file('ca.der', '\u0030\u0082\u0001\u000a binary');
    fileError({ mqtt: { url: TLS, ca: der } }, 'mqtt.ca', `${der} is not a PEM certificate`);
    fileError({ mqtt: { url: TLS, ca: KEY } }, 'mqtt.ca', 'is not a PEM certificate');
    fileError({ mqtt: { url: TLS, cert: CERT, key: CA } }, 'mqtt.key', 'is not a PEM private key');
    const encrypted = file(
      'encrypted.pem',
      `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${SECRET}\n-----END ENCRYPTED PRIVATE KEY-----\n`,
    );
    const line = fileError(
      { mqtt: { url: TLS, cert: CERT, key: encrypted } },
      'mqtt.key',
      'is encrypted with a passphrase',
    );
    expect(line).not.toContain(SECRET);
  });

  it('rejects a client certificate without its key, and the reverse', () => {
    fileError({ mqtt: { url: TLS, cert: CERT } }, 'mqtt.cert', 'is set without mqtt.key');
    fileError({ mqtt: { url: TLS, key: KEY } }, 'mqtt.key', 'is set without mqtt.cert');
  });

  it.each(['mqtt://broker:1883', 'tcp://broker:1883', 'ws://broker/mqtt'])(
    'rejects TLS keys with the plain URL %s, saying to use mqtts://',
    (url) => {
      const message = loadError(
        {
          file: configFile({
            mqtt: { url, ca: CA, cert: CERT, key: KEY, rejectUnauthorized: false },
          }),
        },
        'use mqtts://',
      );
      for (const key of ['ca', 'cert', 'key', 'rejectUnauthorized'])
        expect(message).toMatch(new RegExp(`: mqtt\\.${key}: mqtt\\.url is [a-z]+://, which`));
    },
  );

  it('does not show the URL password when it complains about the scheme', () => {
    const url = `mqtt://kasa:${SECRET}@broker:1883`;
    const message = loadError({ file: configFile({ mqtt: { url, ca: CA } }) }, 'mqtt.ca');
    expect(message).not.toContain(SECRET);
  });

  it('reports every problem of the slice at once, in schema order', () => {
    const message = loadError({
      file: configFile({ mqtt: { url: TLS, passwordFile: MISSING, ca: MISSING, key: KEY } }),
    });
    expect(message.split('\n').map((l) => l.split(': ')[1])).toEqual([
      'mqtt.passwordFile',
      'mqtt.ca',
      'mqtt.key',
    ]);
  });
});

describe('redactUrl (one implementation, two censors)', () => {
  it.each([
    ['mqtt://u:p@ss@h:1883', 'mqtt://u:[redacted]@h:1883', 'mqtt://u:***@h:1883'],
    ['mqtts://u:p%40ss@h/x', 'mqtts://u:[redacted]@h/x', 'mqtts://u:***@h/x'],
    ['mqtt://h:1883/a:b@c', 'mqtt://h:1883/a:b@c', 'mqtt://h:1883/a:b@c'],
  ])('%s', (url, config, sink) => {
    expect(redactUrl(url)).toBe(config);
    expect(sinkRedactUrl(url)).toBe(sink);
  });
});
