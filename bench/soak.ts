/**
 * `npm run soak`: the built collector (`node dist/bin.js run`) for `--minutes` against
 * `--plugs` simulated plugs that fail `--share` of their polls (`soak-plugs.ts`), publishing to
 * a private broker (mosquitto on a free loopback port when installed, else the embedded aedes
 * broker) and to the fake emonhub modelled on emonhub's loop (`soak-emonhub.ts`), with
 * `/metrics` on. Not a test: it measures and prints (docs/reliability.md#soak).
 *
 * Every `--sample` seconds it records, for the collector's process: RSS (`VmRSS`) and open file
 * descriptors (`/proc/<pid>/fd`) from /proc, and from its own `/metrics` the V8 heap used and
 * total, external memory and the old space, so that RSS can be told apart from what the
 * program holds; plus readings delivered to MQTT and frames taken by emonhub since the last
 * sample, and the machine's load average (the machine may be shared). It also counts the
 * writes of each state file (a rename onto its name, seen with `fs.watch`).
 *
 * With `--snapshots` it also writes a V8 heap snapshot of the collector at the end of the
 * warm-up and at the end (`--heapsnapshot-signal`) and prints, by constructor, what grew.
 *
 * emonhub takes at most 10 frames a second (docs/emonhub.md), so at 1 s ticks only the first
 * `--nodes` plugs (8) have an emonhub node; all of them publish to MQTT.
 *
 * Usage: npm run soak -- [--plugs 20] [--nodes 8] [--share 0.1] [--minutes 10] [--interval 1]
 *                        [--sample 30] [--warmup 120] [--snapshots] [--json FILE] [--keep]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { broker, canConnect, freePort, HERE, nodeChild, sleep, stopChild } from './harness.js';
import type { SoakPlugsOptions } from './soak-plugs.js';
import { round } from './stats.js';

const ROOT = path.resolve(HERE, '../../..');
const BIN = path.join(ROOT, 'dist/bin.js');

interface Options {
  plugs: number;
  /** Plugs with an emonhub node (the first ones): emonhub takes at most 10 frames/s. */
  nodes: number;
  share: number;
  minutes: number;
  intervalS: number;
  sampleS: number;
  warmupS: number;
  snapshots: boolean;
  json: string | undefined;
  keep: boolean;
}

/** One sample of the collector's process. */
interface Sample {
  /** s since the collector started. */
  t: number;
  rssMB: number;
  fds: number;
  heapUsedMB: number;
  heapTotalMB: number;
  oldSpaceMB: number;
  externalMB: number;
  /** Readings (JSON state messages) the broker delivered since the last sample. */
  readings: number;
  /** Frames emonhub took since the last sample. */
  frames: number;
  /** The machine's 1-minute load average. */
  load1: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      plugs: { type: 'string', default: '20' },
      nodes: { type: 'string', default: '8' },
      share: { type: 'string', default: '0.1' },
      minutes: { type: 'string', default: '10' },
      interval: { type: 'string', default: '1' },
      sample: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '120' },
      snapshots: { type: 'boolean', default: false },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  return {
    plugs: Number(values.plugs),
    nodes: Number(values.nodes),
    share: Number(values.share),
    minutes: Number(values.minutes),
    intervalS: Number(values.interval),
    sampleS: Number(values.sample),
    warmupS: Number(values.warmup),
    snapshots: values.snapshots === true,
    json: values.json,
    keep: values.keep === true,
  };
}

/** Asks a child over IPC and waits for the answer of the same type. */
function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send({ type });
  });
}

/** `VmRSS` of `pid`, MB. */
function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024, 1) : NaN;
}

/** Open file descriptors of `pid`. */
function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Sample values of a Prometheus text exposition, by `name{labels}`. */
async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Self size and count per constructor of a V8 heap snapshot file. */
function heapByConstructor(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const name = snap.strings[snap.nodes[i + nameAt] as number] ?? '?';
    const e = out.get(name) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + sizeAt] as number;
    out.set(name, e);
  }
  return out;
}

/** Waits for a new `*.heapsnapshot` in `dir` after sending SIGUSR2; returns its path. */
async function snapshot(child: ChildProcess, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')));
  child.kill('SIGUSR2');
  for (;;) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    // Written when its size stops changing.
    let size = -1;
    for (;;) {
      const now = readFileSync(path.join(dir, file)).length;
      if (now === size) return path.join(dir, file);
      size = now;
      await sleep(500);
    }
  }
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kasa-soak-'));
  const children: ChildProcess[] = [];
  let stopBroker: (() => Promise<void>) | undefined;
  try {
    const b = await broker(dir);
    stopBroker = b.stop;
    const plugsOpts: SoakPlugsOptions = {
      plugs: opts.plugs,
      share: opts.share,
      slowMs: Math.round(opts.intervalS * 800),
      seed: 11,
    };
    const plugs = await nodeChild<{ ports: number[] }>('soak-plugs.js', plugsOpts);
    children.push(plugs.child);
    const emonhub = await nodeChild<{ port: number }>('soak-emonhub.js', {});
    children.push(emonhub.child);
    const httpPort = await freePort();
    const config = {
      poll: { interval: opts.intervalS, timeout: opts.intervalS / 2 },
      devices: plugs.ready.ports.map((port, i) => ({
        host: '127.0.0.1',
        port,
        name: `soak_${i + 1}`,
        ...(i < opts.nodes ? { node: i + 1 } : {}),
      })),
      mqtt: {
        enabled: true,
        url: b.url,
        topicPrefix: 'kasa',
        clientId: `kasa-soak-${process.pid}`,
      },
      homeassistant: { enabled: true },
      emonhub: {
        enabled: true,
        port: emonhub.ready.port,
        fields: ['power', 'energy_total', 'state'],
      },
      http: { enabled: true, port: httpPort },
      state: { dir: path.join(dir, 'state') },
      log: { level: 'warn' },
    };
    const configFile = path.join(dir, 'soak.json');
    writeFileSync(configFile, JSON.stringify(config));
    // State file writes: each atomic write ends in a rename onto the file's name.
    const writes = new Map<string, number>();
    mkdirSync(config.state.dir, { recursive: true });
    const watcher = watch(config.state.dir, (event, name) => {
      if (event === 'rename' && name !== null && !name.endsWith('.tmp')) {
        writes.set(name, (writes.get(name) ?? 0) + 1);
      }
    });

    // What the broker delivers: readings, and whether any device's time ever went back.
    const sub = mqtt.connect(b.url);
    let readings = 0;
    let backwards = 0;
    const lastTime = new Map<string, number>();
    let lastTotal = new Map<string, number>();
    let totalsDown = 0;
    sub.on('message', (topic, payload) => {
      if (!/^kasa\/soak_\d+$/.test(topic)) return;
      readings++;
      const { time, energy_total: total } = JSON.parse(payload.toString()) as {
        time: number;
        energy_total?: number;
      };
      if (time < (lastTime.get(topic) ?? 0)) backwards++;
      lastTime.set(topic, time);
      if (total !== undefined) {
        if (total < (lastTotal.get(topic) ?? 0)) totalsDown++;
        lastTotal.set(topic, total);
      }
    });
    await new Promise<void>((r) => sub.subscribe('kasa/+', () => r()));

    const log = path.join(dir, 'collector.log');
    const out = (await import('node:fs')).openSync(log, 'w');
    const nodeArgs = opts.snapshots ? ['--heapsnapshot-signal=SIGUSR2'] : [];
    const collector = spawn(process.execPath, [...nodeArgs, BIN, 'run', '--config', configFile], {
      cwd: dir,
      stdio: ['ignore', out, out],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    children.push(collector);
    const pid = collector.pid as number;
    const started = Date.now();
    while (!(await canConnect(httpPort))) {
      if (collector.exitCode !== null) throw new Error(`collector exited; see ${log}`);
      await sleep(50);
    }

    const samples: Sample[] = [];
    const snapshots: string[] = [];
    const end = started + opts.minutes * 60_000;
    let lastReadings = 0;
    for (let next = started; next <= end; next += opts.sampleS * 1000) {
      await sleep(Math.max(0, next - Date.now()));
      const m = await scrape(httpPort);
      const counts = await ask<{ frames: number }>(emonhub.child, 'counts');
      const get = (k: string): number => round((m.get(k) ?? NaN) / 2 ** 20, 1);
      const s: Sample = {
        t: Math.round((Date.now() - started) / 1000),
        rssMB: rssMB(pid),
        fds: fdCount(pid),
        heapUsedMB: get('nodejs_heap_size_used_bytes'),
        heapTotalMB: get('nodejs_heap_size_total_bytes'),
        oldSpaceMB: get('nodejs_heap_space_size_used_bytes{space="old"}'),
        externalMB: get('nodejs_external_memory_bytes'),
        readings: readings - lastReadings,
        frames: counts.frames,
        load1: round(os.loadavg()[0] ?? NaN, 2),
      };
      lastReadings = readings;
      samples.push(s);
      process.stdout.write(`${JSON.stringify(s)}\n`);
      const sinceStart = (Date.now() - started) / 1000;
      if (opts.snapshots && snapshots.length === 0 && sinceStart >= opts.warmupS) {
        snapshots.push(await snapshot(collector, dir));
      }
    }
    if (opts.snapshots) snapshots.push(await snapshot(collector, dir));
    const faults = await ask<{ drawn: number; total: number }>(plugs.child, 'faults');
    const finalMetrics = await scrape(httpPort);
    await stopChild(collector);
    watcher.close();
    sub.end(true);
    lastTotal = new Map();

    const after = samples.filter((s) => s.t >= opts.warmupS);
    const xs = after.map((s) => s.t / 60);
    const polls = [...finalMetrics.entries()].filter(([k]) => k.startsWith('kasa_polls_total'));
    const pollsOk = polls.filter(([k]) => k.includes('result="ok"')).reduce((a, [, v]) => a + v, 0);
    const pollsAll = polls.reduce((a, [, v]) => a + v, 0);
    const summary = {
      plugs: opts.plugs,
      emonhubNodes: opts.nodes,
      share: opts.share,
      minutes: opts.minutes,
      intervalS: opts.intervalS,
      broker: b.kind,
      cpus: os.cpus().length,
      faultsDrawn: `${faults.drawn} of ${faults.total} plug-seconds (${round((100 * faults.drawn) / faults.total, 1)} %)`,
      polls: { ok: pollsOk, failed: pollsAll - pollsOk },
      readingsDelivered: readings,
      readingTimeWentBack: backwards,
      energyTotalWentDown: totalsDown,
      emonhubFrames: samples.reduce((a, s) => a + s.frames, 0),
      stateFileWrites: Object.fromEntries(writes),
      emonhubQueueAtEnd: finalMetrics.get('kasa_sink_queue_depth{sink="emonhub"}'),
      mqttQueueAtEnd: finalMetrics.get('kasa_sink_queue_depth{sink="mqtt"}'),
      afterWarmup: {
        fromS: after[0]?.t,
        rssMB: [Math.min(...after.map((s) => s.rssMB)), Math.max(...after.map((s) => s.rssMB))],
        rssSlopeMBPerMin: round(
          slope(
            xs,
            after.map((s) => s.rssMB),
          ),
          2,
        ),
        heapUsedSlopeMBPerMin: round(
          slope(
            xs,
            after.map((s) => s.heapUsedMB),
          ),
          2,
        ),
        oldSpaceSlopeMBPerMin: round(
          slope(
            xs,
            after.map((s) => s.oldSpaceMB),
          ),
          2,
        ),
        fds: [Math.min(...after.map((s) => s.fds)), Math.max(...after.map((s) => s.fds))],
      },
      load1: [Math.min(...samples.map((s) => s.load1)), Math.max(...samples.map((s) => s.load1))],
    };
    process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
    let growth: { name: string; count: number; bytes: number }[] = [];
    if (snapshots.length === 2) {
      const [a, z] = snapshots.map(heapByConstructor) as [
        ReturnType<typeof heapByConstructor>,
        ReturnType<typeof heapByConstructor>,
      ];
      growth = [...z.entries()]
        .map(([name, e]) => ({
          name,
          count: e.count - (a.get(name)?.count ?? 0),
          bytes: e.bytes - (a.get(name)?.bytes ?? 0),
        }))
        .sort((p, q) => q.bytes - p.bytes)
        .slice(0, 12);
      const total = (h: ReturnType<typeof heapByConstructor>): number =>
        [...h.values()].reduce((s, e) => s + e.bytes, 0);
      process.stdout.write(
        `\nheap snapshots: ${round(total(a) / 2 ** 20, 2)} MB after warm-up, ` +
          `${round(total(z) / 2 ** 20, 2)} MB at the end; largest growth by constructor:\n`,
      );
      for (const g of growth) {
        process.stdout.write(
          `  ${g.name}: ${g.count >= 0 ? '+' : ''}${g.count} objects, ${g.bytes} bytes\n`,
        );
      }
    }
    if (opts.json !== undefined) {
      writeFileSync(opts.json, `${JSON.stringify({ summary, samples, growth }, null, 2)}\n`);
    }
    const errors = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"level":50') || l.includes('"level":60'));
    process.stdout.write(`\ncollector error lines: ${errors.length}\n`);
    for (const l of errors.slice(0, 5)) process.stdout.write(`  ${l.slice(0, 300)}\n`);
  } finally {
    for (const c of children.reverse()) await stopChild(c);
    await stopBroker?.();
    if (opts.keep) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
