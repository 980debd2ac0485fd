/**
 * The TP-Link account of each plug, from the `kasa` slice or the device's own `username`,
 * `password` / `passwordFile` (docs/devices.md "Credentials"). Password files are checked when
 * the configuration loads, so a typo in a path stops the service at once (exit code 2) instead
 * of every poll failing; they are read again when the devices are built. Messages name the key
 * and the file, never a file's content.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { DeviceConfig, KasaConfig } from './types.js';

/** A plug's account as the device layer takes it, with the keys that hold it for messages. */
export interface PlugAccount {
  username: string;
  password: string;
  /** e.g. `kasa.username and kasa.password (or kasa.passwordFile)`. */
  keys: string;
}

/** One problem: a dotted key and what to do about it. */
export interface AccountProblem {
  key: string;
  message: string;
}

function firstLine(file: string): string {
  return (readFileSync(file, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
}

/** The problem with a password file, or undefined when its first line can be read and is not empty. */
function fileProblem(file: string): string | undefined {
  try {
    return firstLine(file) === ''
      ? `${file} has an empty first line; put the password on the first line`
      : undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const todo =
      code === 'EACCES' || code === 'EPERM'
        ? 'make it readable by the user the service runs as'
        : 'give a file whose first line is the password';
    return `cannot read ${file} (${code}); ${todo}`;
  }
}

/**
 * Every problem of the password files and of passwords given twice: `kasa.password` with
 * `kasa.passwordFile`, and each device's `passwordFile` (devices[i] already reports its own
 * `password` with `passwordFile`).
 * @param kasa the `kasa` slice as loaded
 * @param devices the devices as loaded
 * @param bad dotted keys already reported; they are not checked again
 */
export function accountProblems(
  kasa: KasaConfig,
  devices: readonly DeviceConfig[],
  bad: ReadonlySet<string>,
): AccountProblem[] {
  const problems: AccountProblem[] = [];
  const given = (key: keyof KasaConfig): boolean =>
    !bad.has(`kasa.${key}`) && typeof kasa[key] === 'string' && kasa[key] !== '';
  if (given('password') && given('passwordFile')) {
    problems.push({
      key: 'kasa.passwordFile',
      message: 'kasa.password is set too; give the password one way only',
    });
  } else if (given('passwordFile')) {
    const problem = fileProblem(kasa.passwordFile);
    if (problem !== undefined) problems.push({ key: 'kasa.passwordFile', message: problem });
  }
  devices.forEach((d, i) => {
    if (d.passwordFile === undefined || d.password !== undefined) return;
    const problem = fileProblem(d.passwordFile);
    if (problem !== undefined)
      problems.push({ key: `devices[${i}].passwordFile`, message: problem });
  });
  return problems;
}

/**
 * The account a plug is given: the device's own when it has a `username`, `password` or
 * `passwordFile`, else the `kasa` slice's; undefined when neither gives one (the transports then
 * try the default and blank accounts only).
 * @param kasa the `kasa` slice
 * @param device the device's entry
 * @throws ConfigError when a password file cannot be read (it was checked at load time)
 */
export function accountFor(
  kasa: KasaConfig | undefined,
  device: DeviceConfig,
): PlugAccount | undefined {
  const own =
    device.username !== undefined ||
    device.password !== undefined ||
    device.passwordFile !== undefined;
  if (own) {
    return {
      username: device.username ?? '',
      password:
        device.password ??
        (device.passwordFile === undefined
          ? ''
          : read(`devices[].passwordFile (${device.host})`, device.passwordFile)),
      keys: `the username and password${device.passwordFile === undefined ? '' : 'File'} of the devices[] entry for ${device.host}`,
    };
  }
  if (kasa === undefined) return undefined;
  const password =
    kasa.passwordFile !== '' ? read('kasa.passwordFile', kasa.passwordFile) : kasa.password;
  if (kasa.username === '' && password === '') return undefined;
  return {
    username: kasa.username,
    password,
    keys: `kasa.username and ${kasa.passwordFile !== '' ? 'kasa.passwordFile' : 'kasa.password'}`,
  };
}

function read(key: string, file: string): string {
  const problem = fileProblem(file);
  if (problem !== undefined) throw new ConfigError(`${key}: ${problem}`);
  return firstLine(file);
}
