/**
 * The files the `mqtt` slice names (TLS PEM files, the password file) and the rules that tie
 * those keys to each other and to the URL's scheme. The loader checks them once at load time,
 * so a typo in a path stops the service with exit code 2 instead of a reconnect loop; the MQTT
 * sink reads the same files again at start through {@link readMqttFile}, with the same messages.
 * Messages name the key and the file, never a file's content: it may be a key or a password.
 */
import { readFileSync } from 'node:fs';
import type { MqttConfig } from './types.js';
import { ConfigError } from '../errors.js';

/** The `mqtt` keys that name a file. */
export type MqttFileKey = 'ca' | 'cert' | 'key' | 'passwordFile';

/** One problem found by {@link mqttFileProblems}: a dotted key and what to do about it. */
export interface MqttFileProblem {
  key: `mqtt.${string}`;
  message: string;
}

/** URL schemes on which MQTT.js speaks TLS (it also knows `tls`, which the schema does not allow). */
export const TLS_SCHEMES = ['mqtts', 'ssl', 'wss'] as const;

/** True when `url` starts with one of {@link TLS_SCHEMES}, e.g. `mqtts://broker:8883`. */
export function isTlsUrl(url: string): boolean {
  const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase() ?? '';
  return (TLS_SCHEMES as readonly string[]).includes(scheme);
}

/** What each key must name, said after a failure so the user knows which file to give. */
const WHAT: Record<MqttFileKey, string> = {
  ca: 'give the PEM file of the CA that signed the broker certificate',
  cert: 'give the PEM file of the client certificate the broker expects',
  key: 'give the PEM file of the private key of mqtt.cert',
  passwordFile: 'give a file whose first line is the broker password',
};

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** The content problem of a file that was read, or undefined when it holds what `key` needs. */
function contentProblem(key: MqttFileKey, file: string, data: Buffer): string | undefined {
  const text = data.toString('latin1');
  if (key === 'passwordFile') {
    return firstLine(data) === ''
      ? `${file} has an empty first line; put the broker password on the first line`
      : undefined;
  }
  if (key === 'key') {
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
      return `${file} is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----" line); ${WHAT.key}`;
    }
    // There is no passphrase setting: node would fail at connect time with "bad decrypt".
    return /ENCRYPTED/.test(text)
      ? `${file} is encrypted with a passphrase, which kasa-collector cannot give; decrypt it (openssl pkey -in ${file} -out key.pem) and keep the copy readable only by the service user`
      : undefined;
  }
  return text.includes('-----BEGIN CERTIFICATE-----')
    ? undefined
    : `${file} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line); ${WHAT[key]}`;
}

/** First line of a password file: up to the first newline, a CR before it dropped. */
function firstLine(data: Buffer): string {
  return (data.toString('utf8').split('\n')[0] ?? '').replace(/\r$/, '');
}

/** Reads `file`; the problem (without the key) when it cannot be read or does not fit `key`. */
function tryRead(key: MqttFileKey, file: string): { data: Buffer } | { problem: string } {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const reason = ERRNO[code] === undefined ? code : `${code}: ${ERRNO[code]}`;
    const todo =
      code === 'EACCES' || code === 'EPERM'
        ? 'make it readable by the user the service runs as'
        : WHAT[key];
    return { problem: `cannot read ${file} (${reason}); ${todo}` };
  }
  const problem = contentProblem(key, file, data);
  return problem === undefined ? { data } : { problem };
}

/**
 * Reads the file named by `mqtt.<key>` and checks that it holds what the key needs (a PEM
 * certificate, an unencrypted PEM private key, a non-empty first line).
 * @param key which key names the file; it decides the check and the advice
 * @param file the path as configured (relative paths are from the working directory)
 * @returns the file's bytes
 * @throws ConfigError `mqtt.<key>: cannot read <file> (<errno>: <reason>); <what to give>`, or
 *   `mqtt.<key>: <file> is not a PEM …`; never quoting the content
 */
export function readMqttFile(key: MqttFileKey, file: string): Buffer {
  const result = tryRead(key, file);
  if ('problem' in result) throw new ConfigError(`mqtt.${key}: ${result.problem}`);
  return result.data;
}

/**
 * The password held by `mqtt.passwordFile`: its first line without the line ending.
 * @throws ConfigError as {@link readMqttFile}
 */
export function readPasswordFile(file: string): string {
  return firstLine(readMqttFile('passwordFile', file));
}

const TLS_KEYS = ['ca', 'cert', 'key'] as const;

/**
 * Every problem of the `mqtt` slice's files and of the keys that go with them: a password given
 * twice (`password` and `passwordFile`), TLS keys with a plain `mqtt://`/`tcp://`/`ws://` URL, a
 * client certificate without its key or the reverse, and files that cannot be read or do not
 * hold PEM. Nothing is checked while `mqtt.enabled` is false: the files are then never read.
 * @param mqtt the slice as loaded; keys that failed their own check must be listed in `bad`
 * @param bad dotted keys already reported, e.g. `mqtt.url`; they are not checked again
 * @param sourceOf where a key's value came from (`$MQTT_PASSWORD`, the file name, …), to say
 *   where the other half of a conflict was set
 * @returns the problems, empty when the slice is fine
 */
export function mqttFileProblems(
  mqtt: MqttConfig,
  bad: ReadonlySet<string>,
  sourceOf: (key: string) => string,
): MqttFileProblem[] {
  if (mqtt.enabled !== true) return [];
  const problems: MqttFileProblem[] = [];
  const given = (key: keyof MqttConfig): boolean =>
    !bad.has(`mqtt.${key}`) && typeof mqtt[key] === 'string' && mqtt[key] !== '';
  if (given('passwordFile') && given('password')) {
    problems.push({
      key: 'mqtt.passwordFile',
      message: `mqtt.password is set too (in ${sourceOf('mqtt.password')}); give the password one way only`,
    });
  }
  if (!bad.has('mqtt.url') && typeof mqtt.url === 'string' && !isTlsUrl(mqtt.url)) {
    const scheme = /^([a-z]+):/i.exec(mqtt.url)?.[1] ?? 'mqtt';
    const plain = `mqtt.url is ${scheme}://, which does not use TLS; use mqtts:// (port 8883) or wss://`;
    for (const key of TLS_KEYS) {
      if (given(key))
        problems.push({ key: `mqtt.${key}`, message: `${plain}, or remove mqtt.${key}` });
    }
    if (mqtt.rejectUnauthorized === false) {
      problems.push({ key: 'mqtt.rejectUnauthorized', message: `${plain}, or remove it` });
    }
  }
  if (given('cert') && !given('key') && !bad.has('mqtt.key')) {
    problems.push({
      key: 'mqtt.cert',
      message:
        'is set without mqtt.key; give the PEM file of its private key as mqtt.key, or remove mqtt.cert',
    });
  }
  if (given('key') && !given('cert') && !bad.has('mqtt.cert')) {
    problems.push({
      key: 'mqtt.key',
      message:
        'is set without mqtt.cert; give the PEM file of the client certificate as mqtt.cert, or remove mqtt.key',
    });
  }
  for (const key of [...TLS_KEYS, 'passwordFile'] as const) {
    if (!given(key)) continue;
    const result = tryRead(key, mqtt[key]);
    if ('problem' in result) problems.push({ key: `mqtt.${key}`, message: result.problem });
  }
  return problems;
}
