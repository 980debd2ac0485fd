import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { LoadConfigOptions } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'kasa-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;

/** Writes `content` (an object is JSON-encoded) to a fresh file; returns its path. */
export function configFile(content: unknown): string {
  const file = join(dir, `config-${++counter}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/** A minimal valid file body with one plug (documentation address, never contacted). */
export const ONE_PLUG = { devices: [{ host: '192.0.2.10' }] };

/**
 * Runs {@link loadConfig} with an empty environment unless one is given, expects a
 * ConfigError whose message contains every fragment, and returns the message.
 */
export function loadError(opts: LoadConfigOptions, ...fragments: string[]): string {
  let caught: unknown;
  try {
    loadConfig({ env: {}, ...opts });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as ConfigError).message;
  for (const fragment of fragments) expect(message).toContain(fragment);
  return message;
}

/** Writes `content` to a file, loads it expecting a ConfigError naming the file and `key`. */
export function fileError(content: unknown, key: string, ...fragments: string[]): string {
  const file = configFile(content);
  const message = loadError({ file }, ...fragments);
  const line = message.split('\n').find((l) => l.startsWith(`${file}: ${key}: `));
  expect(line, `a line "${file}: ${key}: …" in:\n${message}`).toBeDefined();
  return line ?? '';
}
