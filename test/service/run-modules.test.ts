import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedPlug } from '../../src/sim/plug.js';

/**
 * `kasa-collector run` with a plain config (one XOR plug, sinks off) loads nothing it does not
 * use by its first poll: not node-forge (KLAP/AES), nor the CLI's tools, the one-plug poll, the
 * demo's broker, MQTT.js, prom-client or pino-pretty. The real binary runs in a child process
 * (vitest itself loads everything) with two preloads passed as `data:` URLs: a module hook that
 * records every ES module loaded, and a subscriber to the collector's poll channel that, on the
 * first poll, records the CommonJS modules loaded and exits.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'dist', 'bin.js');

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.KASA_TEST_ESM, url + '\\n');
  return next(url, context);
}`;

const PRELOAD = `
import { register, createRequire } from 'node:module';
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));
subscribe('kasa-collector:poll', () => {
  writeFileSync(process.env.KASA_TEST_CJS, JSON.stringify(Object.keys(createRequire(process.cwd() + '/').cache)));
  process.exit(0);
});`;

let dir: string;
let plug: SimulatedPlug;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kasa-run-modules-'));
  plug = new SimulatedPlug({ profile: 'kp115', alias: 'Desk' });
  await plug.start();
});

afterEach(async () => {
  await plug.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `run` until its first poll; the ES module URLs and CommonJS files loaded by then. */
async function loadedByFirstPoll(): Promise<{ esm: string[]; cjs: string[] }> {
  const config = path.join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      devices: [{ host: '127.0.0.1', port: plug.port, name: 'desk' }],
      mqtt: { enabled: false },
      emonhub: { enabled: false },
      poll: { interval: 1, timeout: 0.5 },
      state: { dir: path.join(dir, 'state') },
      log: { level: 'warn' },
    }),
  );
  const esmFile = path.join(dir, 'esm.txt');
  const cjsFile = path.join(dir, 'cjs.json');
  const child = spawn(
    process.execPath,
    [
      '--import',
      `data:text/javascript,${encodeURIComponent(PRELOAD)}`,
      BIN,
      'run',
      '--config',
      config,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env['PATH'], KASA_TEST_ESM: esmFile, KASA_TEST_CJS: cjsFile },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || !existsSync(cjsFile)) throw new Error(`run exited with ${code}: ${stderr}`);
  return {
    esm: readFileSync(esmFile, 'utf8').split('\n').filter(Boolean),
    cjs: JSON.parse(readFileSync(cjsFile, 'utf8')) as string[],
  };
}

describe.skipIf(!existsSync(BIN))('run loads what the config uses', () => {
  it('a plain XOR config polls without node-forge, the tools, the demo or unused sinks', async () => {
    const { esm, cjs } = await loadedByFirstPoll();
    const all = [...esm, ...cjs];
    const pkg = (name: string): boolean => all.some((f) => f.includes(`/node_modules/${name}/`));
    // The check sees what is loaded: the collector and its logger are.
    expect(esm.some((u) => u.endsWith('/dist/collector/collector.js'))).toBe(true);
    expect(pkg('pino')).toBe(true);
    for (const name of ['node-forge', 'aedes', 'mqtt', 'prom-client', 'pino-pretty']) {
      expect({ name, loaded: pkg(name) }).toEqual({ name, loaded: false });
    }
    for (const own of [
      'kasa/transport/aes.js',
      'kasa/transport/klap.js',
      'kasa/smart-device.js',
      'cli/tool-argv.js',
      'cli/poll.js',
      'config/same-address.js',
      'demo/demo.js',
      'sim/plug.js',
    ]) {
      expect({ own, loaded: esm.some((u) => u.endsWith(`/dist/${own}`)) }).toEqual({
        own,
        loaded: false,
      });
    }
  }, 30_000);
});
