import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A collector with a sink off does not load that sink's library: on a Pi Zero the MQTT client,
 * prom-client, pino-pretty and the demo's embedded broker are ~25 MB of RSS between them. Run
 * in a child process (vitest itself loads them all), against the built `dist/`.
 */

const DIST = path.resolve(import.meta.dirname, '..', '..', 'dist');
const url = (file: string): string => pathToFileURL(path.join(DIST, file)).href;

/** Builds a collector from `config` overrides in a fresh process; the packages it loaded. */
function packagesLoaded(over: string, after = ''): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const { loadConfig } = await import(${JSON.stringify(url('config/load.js'))});
    const { buildCollector } = await import(${JSON.stringify(url('main.js'))});
    const { createLogger } = await import(${JSON.stringify(url('log/logger.js'))});
    const { systemClock } = await import(${JSON.stringify(url('clock.js'))});
    await import(${JSON.stringify(url('cli/cli.js'))});
    const base = loadConfig({ env: {} });
    const config = { ...base, devices: [{ host: '127.0.0.1', port: 9 }], ...${over} };
    buildCollector(config, createLogger({ level: 'silent' }), systemClock);
    ${after}
    const cache = createRequire(import.meta.url).cache;
    const names = Object.keys(cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]);
    console.log(JSON.stringify([...new Set(names.filter(Boolean))]));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

describe.skipIf(!existsSync(path.join(DIST, 'main.js')))('libraries loaded on demand', () => {
  it('a collector with MQTT and HTTP off loads neither MQTT.js, prom-client, aedes nor pino-pretty', () => {
    const off = `{ mqtt: { ...base.mqtt, enabled: false }, http: { ...base.http, enabled: false } }`;
    const loaded = packagesLoaded(off);
    expect(loaded).toContain('pino');
    for (const pkg of ['mqtt', 'prom-client', 'aedes', 'pino-pretty']) {
      expect(loaded).not.toContain(pkg);
    }
    // The check sees a package as soon as it is loaded.
    expect(packagesLoaded(off, "await import('mqtt');")).toContain('mqtt');
  });

  it('HTTP on loads prom-client when the collector is built', () => {
    const on = `{ mqtt: { ...base.mqtt, enabled: false }, http: { ...base.http, enabled: true } }`;
    expect(packagesLoaded(on)).toContain('prom-client');
  });
});
