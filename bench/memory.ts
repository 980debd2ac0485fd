/**
 * `npm run bench:memory`: where a collector's memory goes before it polls, step by step in the
 * order `run` loads things, in one process: RSS and V8 heap (`process.memoryUsage()`, after a
 * full GC) after each library and part of the collector is loaded and after the collector is
 * built for N plugs. Not a test: it measures and prints.
 *
 * The first sizeable load of a process also pays for V8 growing its heap and code space
 * (several MB whatever comes first), so a step's increment depends on what came before it;
 * read the increments in this order.
 *
 * With `--libraries` it loads only what the collector's own code stands on, none of that code:
 * the Node modules a run with every sink on uses and the libraries the stack prescribes (pino,
 * convict, croner, MQTT.js, prom-client). Its last row is the least any build on this stack
 * can weigh before its first plug.
 *
 * Usage: node --expose-gc dist/bench/bench/memory.js [--plugs N] [--libraries]
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';

interface Step {
  step: string;
  rssMB: number;
  deltaMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

const require = createRequire(import.meta.url);
const gc = (globalThis as { gc?: () => void }).gc;
const steps: Step[] = [];
const mb = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

function mark(step: string): void {
  gc?.();
  const m = process.memoryUsage();
  const prev = steps.at(-1)?.rssMB ?? mb(m.rss);
  steps.push({
    step,
    rssMB: mb(m.rss),
    deltaMB: Math.round((mb(m.rss) - prev) * 10) / 10,
    heapUsedMB: mb(m.heapUsed),
    heapTotalMB: mb(m.heapTotal),
    externalMB: mb(m.external),
  });
}

const { values } = parseArgs({
  options: {
    plugs: { type: 'string', default: '20' },
    libraries: { type: 'boolean', default: false },
  },
});
const plugs = Number(values.plugs);
if (!Number.isInteger(plugs) || plugs < 1) throw new Error(`--plugs ${values.plugs}: ≥ 1`);
if (gc === undefined) process.stderr.write('memory: run with --expose-gc for stable figures\n');

if (values.libraries) {
  mark('node, this script');
  await import('node:net');
  await import('node:http');
  await import('node:dgram');
  await import('node:crypto');
  mark('node:net, node:http, node:dgram, node:crypto');
  await import('pino');
  mark('pino');
  await import('convict');
  mark('convict');
  const { Cron } = await import('croner');
  new Cron('* * * * * *', { paused: true }).nextRun();
  mark('croner (one schedule)');
  await import('mqtt');
  mark('MQTT.js');
  const prom = await import('prom-client');
  prom.collectDefaultMetrics({ register: new prom.Registry() });
  mark('prom-client (default metrics on a registry)');
  printSteps();
  process.exit(0);
}

mark('node, this script');
await import('pino');
mark('pino (logger)');
const { loadConfig } = await import('../src/config/load.js');
mark('convict + config loader');
const { buildCollector } = await import('../src/main.js');
mark('collector, sinks, XOR transport (own code)');
await import('mqtt');
mark('MQTT.js (MQTT on)');
await import('prom-client');
mark('prom-client (http on)');
const { createLogger } = await import('../src/log/logger.js');
const { systemClock } = await import('../src/clock.js');
const config = loadConfig({
  env: {},
  overrides: {
    mqtt: { enabled: false },
    http: { enabled: false },
    state: { dir: mkdtempSync(path.join(os.tmpdir(), 'kasa-memory-')) },
    devices: Array.from({ length: plugs }, (_, i) => ({
      host: '127.0.0.1',
      port: 10_000 + i,
      name: `plug_${i}`,
    })),
  },
});
const collector = buildCollector(config, createLogger({ level: 'silent' }), systemClock);
mark(`collector built, ${plugs} plugs (not started)`);

// Last, apart from the rest: mqtt-packet builds 65,536 two-byte Buffers for packet ids at its
// first packet unless MQTT.js is given `writeCache: false`, which the MQTT sink sets
// (src/sinks/mqtt/options.ts). This row shows what that saves.
const packet = require('mqtt-packet') as {
  writeToStream: (p: object, s: Writable) => boolean;
};
packet.writeToStream(
  { cmd: 'publish', topic: 't', payload: 'x', qos: 1, messageId: 1 },
  new Writable({ write: (_c, _e, cb) => cb() }),
);
mark("mqtt-packet's number cache, were it on (the sink sets writeCache: false)");

printSteps();
void collector;

/** The steps as a Markdown table on stdout. */
function printSteps(): void {
  const w = [62, 6, 5, 9, 10, 8];
  const row = (c: string[]): string =>
    `| ${c.map((x, i) => x.padEnd(w[i] as number)).join(' | ')} |`;
  process.stdout.write(
    [
      row(['step', 'RSS MB', 'Δ MB', 'heap used', 'heap total', 'external']),
      row(w.map((n) => '-'.repeat(n))),
      ...steps.map((s) =>
        row([
          s.step,
          ...[s.rssMB, s.deltaMB, s.heapUsedMB, s.heapTotalMB, s.externalMB].map(String),
        ]),
      ),
    ].join('\n') + '\n',
  );
}
