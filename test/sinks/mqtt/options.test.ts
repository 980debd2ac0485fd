import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { isTlsUrl } from '../../../src/config/secret-files.js';
import { ConfigError } from '../../../src/errors.js';
import { explainConnectErrors, mqttClientOptions } from '../../../src/sinks/mqtt/options.js';
import { mqttConfig } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';

const SECRET = 'Unit-Secret-4d1f';
const dir = mkdtempSync(join(tmpdir(), 'kasa-mqtt-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` to `dir/name`; returns the path. */
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// Shape only: these tests check which bytes go where, not TLS (tls.test.ts does that).
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n');
const CERT = file('cert.pem', '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n');
const KEY = file('key.pem', '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n');

describe('isTlsUrl', () => {
  it.each([
    ['mqtts://b:8883', true],
    ['ssl://b:8883', true],
    ['wss://b/mqtt', true],
    ['MQTTS://b', true],
    ['mqtt://b:1883', false],
    ['tcp://b', false],
    ['ws://b/mqtt', false],
    ['not a url', false],
  ])('%s → %s', (url, tls) => expect(isTlsUrl(url)).toBe(tls));
});

describe('mqttClientOptions', () => {
  it('gives user name and password, and retries a refused login', () => {
    const config = mqttConfig('mqtt://b:1883', { username: 'kasa', password: SECRET });
    expect(mqttClientOptions(config)).toStrictEqual({
      reconnectOnConnackError: true,
      username: 'kasa',
      password: SECRET,
    });
  });

  it('sets no password when none is configured, leaving the URL userinfo to MQTT.js', () => {
    const options = mqttClientOptions(mqttConfig(`mqtt://kasa:${SECRET}@b:1883`));
    expect(options).toStrictEqual({ reconnectOnConnackError: true });
  });

  it.each([
    ['a trailing newline', `${SECRET}\n`],
    ['CRLF and a second line', `${SECRET}\r\nsecond line\r\n`],
    ['no newline', SECRET],
  ])('reads the first line of mqtt.passwordFile (%s)', (_, text) => {
    const passwordFile = file(`pw-${text.length}`, text);
    const config = mqttConfig('mqtt://b', { username: 'kasa', passwordFile });
    expect(mqttClientOptions(config).password).toBe(SECRET);
  });

  it('reads the TLS files as bytes and verifies the broker by default', () => {
    for (const url of ['mqtts://b:8883', 'ssl://b:8883', 'wss://b/mqtt']) {
      const { log, lines } = memoryLogger();
      const options = mqttClientOptions(mqttConfig(url, { ca: CA, cert: CERT, key: KEY }), log);
      expect(options.rejectUnauthorized).toBe(true);
      expect(String(options.ca)).toContain('Q0E=');
      expect(String(options.cert)).toContain('Q0VSVA==');
      expect(String(options.key)).toContain('S0VZ');
      expect(lines).toEqual([]);
    }
  });

  it('leaves TLS out of a plain URL', () => {
    expect(mqttClientOptions(mqttConfig('mqtt://b', { ca: CA }))).not.toHaveProperty('ca');
  });

  it('warns once at start when certificate verification is off', () => {
    const { log, lines } = memoryLogger();
    const config = mqttConfig('mqtts://b', { rejectUnauthorized: false, password: SECRET });
    expect(mqttClientOptions(config, log).rejectUnauthorized).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40 });
    expect(lines[0]?.msg).toContain('certificate verification is off');
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('throws a ConfigError naming the key and file when a file went away since loading', () => {
    const ca = join(dir, 'gone.pem');
    expect(() => mqttClientOptions(mqttConfig('mqtts://b', { ca }))).toThrow(ConfigError);
    expect(() => mqttClientOptions(mqttConfig('mqtts://b', { ca }))).toThrow(
      `mqtt.ca: cannot read ${ca} (ENOENT: no such file); give the PEM file of the CA that signed the broker certificate`,
    );
    const passwordFile = join(dir, 'gone.txt');
    expect(() => mqttClientOptions(mqttConfig('mqtt://b', { passwordFile }))).toThrow(
      `mqtt.passwordFile: cannot read ${passwordFile} (ENOENT`,
    );
  });
});

describe('explainConnectErrors', () => {
  /** Emits `err` on a client wrapped by explainConnectErrors; returns what a later listener saw. */
  function emitted(err: Error, over: Parameters<typeof mqttConfig>[1] = {}): Error {
    const client = new EventEmitter() as unknown as MqttClient;
    const config = mqttConfig('mqtts://b:8883', { password: SECRET, ...over });
    let seen: Error | undefined;
    client.on('error', (e: Error) => (seen = e));
    explainConnectErrors(client, config);
    client.emit('error', err);
    return seen as Error;
  }
  const coded = (message: string, code: string | number): Error =>
    Object.assign(new Error(message), { code });

  it.each([
    [
      coded('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      'set mqtt.ca',
    ],
    [coded('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), 'set mqtt.ca'],
    [new Error('TLS not authorized'), 'certificate verification failed'],
    [coded('certificate has expired', 'CERT_HAS_EXPIRED'), 'validity dates'],
    [
      coded("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      'host of mqtt.url',
    ],
    [coded('alert', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'set mqtt.cert and mqtt.key'],
    [coded('Connection refused: Not authorized', 5), 'check mqtt.username and the password'],
    [coded('Connection refused: Bad username or password', 4), 'mqtt.passwordFile'],
    [coded('Connection refused: Bad User Name or Password', 134), 'mqtt.passwordFile'],
    [new Error('Username is required to use password'), 'set mqtt.username'],
  ])('amends $message', (err, fragment) => {
    const original = err.message;
    const seen = emitted(err);
    expect(seen.message.startsWith(`${original}; `)).toBe(true);
    expect(seen.message).toContain(fragment);
    expect(seen.message).not.toContain(SECRET);
  });

  it('names the configured CA when it did not sign the broker certificate', () => {
    const err = coded('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN');
    expect(emitted(err, { ca: CA }).message).toContain(`the CA in mqtt.ca (${CA}) did not sign`);
  });

  it('leaves other errors alone, keeps codes, and amends an error emitted twice only once', () => {
    const refused = coded('connect ECONNREFUSED 127.0.0.1:1883', 'ECONNREFUSED');
    expect(emitted(refused).message).toBe('connect ECONNREFUSED 127.0.0.1:1883');
    const client = new EventEmitter() as unknown as MqttClient;
    client.on('error', () => undefined);
    explainConnectErrors(client, mqttConfig('mqtts://b'));
    const err = coded('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    client.emit('error', err);
    client.emit('error', err);
    expect(err.message.match(/certificate verification failed/g)).toHaveLength(1);
    expect(err).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('keeps a peer certificate Node attaches out of the log line', () => {
    const err = Object.assign(coded('altnames', 'ERR_TLS_CERT_ALTNAME_INVALID'), {
      cert: { raw: Buffer.alloc(1000) },
    });
    const seen = emitted(err);
    expect(Object.keys(seen)).not.toContain('cert');
    expect((seen as Error & { cert?: unknown }).cert).toBeDefined();
  });
});
