import { readFileSync } from 'node:fs';
import { isPlainObject, show } from './checks.js';
import { ConfigError } from '../errors.js';

const READ_ADVICE: Record<string, string> = {
  ENOENT: 'no such file; check the path given with --config or KASA_COLLECTOR_CONFIG',
  ENOTDIR:
    'a part of the path is not a directory; check the path given with --config or KASA_COLLECTOR_CONFIG',
  EISDIR: 'it is a directory; give the path of the JSON file instead',
  EACCES: 'permission denied; make the file readable by the user the service runs as',
  EPERM: 'permission denied; make the file readable by the user the service runs as',
};

/**
 * The offset where `text` stops being valid JSON: the shortest prefix that fails with an error
 * other than "ends too early". V8 gives no position for some errors ("Unexpected token") and
 * quotes the surrounding text instead, which could echo a password; this needs neither.
 */
function errorOffset(text: string): number {
  const fails = (prefix: string): boolean => {
    try {
      JSON.parse(prefix);
      return false;
    } catch (err) {
      const message = (err as Error).message;
      const at = /at position (\d+)/.exec(message);
      if (/Unexpected end of JSON input/.test(message)) return false;
      return !(at !== null && Number(at[1]) >= prefix.length);
    }
  };
  let [lo, hi] = [0, text.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fails(text.slice(0, mid + 1))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

/**
 * Reads a configuration file that must hold one JSON object (a leading BOM is allowed).
 * @param file path as the user gave it; messages quote it unchanged
 * @returns the parsed object, not yet validated
 * @throws ConfigError `<file>: cannot read …` with the errno code and what to do, `<file>:<line>:
 *   <column>: not valid JSON …`, or `<file>: must hold a JSON object …`
 */
export function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const advice = READ_ADVICE[code] ?? 'check that the file exists and is readable';
    throw new ConfigError(`${file}: cannot read the configuration file (${code}: ${advice})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Keep V8's reason only: the rest is a position, or a quote of the file.
    const reason = (err as Error).message.split(/ in JSON at position |, (?:\.\.\.)?"/)[0];
    throw new ConfigError(
      `${file}:${lineColumn(text, errorOffset(text))}: not valid JSON (${reason}); fix it there: JSON allows no comments, no trailing commas and only double-quoted strings`,
    );
  }
  if (!isPlainObject(value)) {
    throw new ConfigError(
      `${file}: must hold a JSON object such as {"devices": [{"host": "192.168.1.50"}]}, got ${show(value)}`,
    );
  }
  return value;
}
