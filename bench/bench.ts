/**
 * `npm run bench`: the collector against tplink-smarthome-api and a bare `node:net` floor, side
 * by side against the same simulated plugs in the same run, then a Pi-sized fleet with every
 * sink on and a 3000-plug MQTT run; a closing table marks each target of docs/performance.md
 * met or not. Not a test: it measures and prints.
 *
 * Scenarios (`--scenarios`, default all three; `--quick` leaves out `scale` and halves the
 * windows):
 *   compare      at `--plugs` (1000), `--interval` (1 s), each pinned to CPU 1 in turn:
 *                floor (`floor.ts`), collector-bare (`run`, every sink off), peer
 *                (`peer.ts`), collector (`run` with MQTT and Home Assistant discovery at their
 *                defaults; one run per `--outputs` mode when given)
 *   small-fleet  20 plugs, MQTT + Home Assistant, emonhub (the soak's fake interfacer),
 *                `/metrics` and the status page, 2 s ticks, beside a bare idling `node`
 *   scale        3000 plugs at 1 s with MQTT: tick → broker delay, missed ticks
 *
 * Per phase: CPU and poll counts from the poller's own report (`report.ts`; the collector's
 * through the preload `collector-report.ts`) over a window of whole ticks after the warm-up,
 * and beside them the steady state of the whole process tree read from `/proc` over the same
 * window (`proc.ts`), the whole-run peak RSS, and for the collector its start-up. The tick
 * offset comes from socket writes (`send-stamp.ts`, preloaded) and from the plugs' arrivals.
 *
 * Usage: npm run bench -- [--scenarios compare,small-fleet,scale] [--quick] [--plugs N]
 *   [--interval S] [--ticks K] [--warmup W] [--hung P] [--timeout S] [--qos Q] [--phases a,b]
 *   [--rounds N]
 *   [--outputs json,attributes,json_and_attributes] [--bin FILE] [--fleet-plugs N]
 *   [--scale-plugs N] [--sweep] [--json FILE] [--cpu-prof DIR] [--keep]
 * Environment: BENCH_NODE_OPTIONS is passed to the collector as NODE_OPTIONS (V8 flags);
 * BENCH_PIN_BROKER=1 pins the broker and this process to CPU 0 with the plugs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FirstPoll } from './collector-report.js';
import type { BenchSample } from './report.js';
import type { FloorOptions } from './floor.js';
import {
  CAN_PIN,
  HERE,
  PIN_BROKER,
  SimHost,
  broker,
  canConnect,
  fdLimits,
  freePort,
  nodeChild,
  nodeCommand,
  sleep,
  stopChild,
  subscriber,
  type Subscriber,
} from './harness.js';
import {
  collectorRuns,
  parseOptions,
  windowTicks,
  type OutputMode,
  type Options,
  type Phase,
} from './options.js';
import type { PeerOptions } from './peer.js';
import { TreeSampler, steadyWindow, treePeakRssMB } from './proc.js';
import {
  measureWindow,
  round,
  spread,
  table,
  type PhaseResult,
  type Startup,
  type Window,
} from './stats.js';
import { summarize, summaryTable } from './summary.js';

const ROOT = path.resolve(HERE, '../../..');
const PREFIX = 'bench';
/** Preloaded into each measured poller to stamp its request writes (`send-stamp.ts`). */
const STAMP = ['--import', pathToFileURL(path.join(HERE, 'send-stamp.js')).href];
/** Preloaded into the collector runs: the per-interval report (`collector-report.ts`). */
const REPORT = ['--import', pathToFileURL(path.join(HERE, 'collector-report.js')).href];
/** The small fleet's tick interval, s. */
const FLEET_INTERVAL_S = 2;

/** One set of plugs and where a phase writes its files. */
interface Run {
  plugs: number;
  hungIdx: number[];
  ports: number[];
  brokerUrl: string;
  dir: string;
  intervalS: number;
  timeoutS: number;
  warmup: number;
  ticks: number;
}

/** What a phase runs. */
type Poller =
  | { kind: 'floor' }
  | { kind: 'peer' }
  | { kind: 'collector'; config: object }
  /** Not a poller: a bare `node` that idles, for its RSS. */
  | { kind: 'bare-node' };

/** The collector's config for the comparison and the scale run. */
function collectorConfig(
  run: Run,
  opts: Options,
  mqtt: { on: boolean; output?: OutputMode | undefined },
): object {
  return {
    poll: {
      interval: run.intervalS,
      timeout: run.timeoutS,
      concurrency: run.plugs,
      offlineAfter: 3,
    },
    devices: run.ports.map((port, i) => ({ host: '127.0.0.1', port, name: `plug_${i}` })),
    mqtt: {
      enabled: mqtt.on,
      url: run.brokerUrl,
      topicPrefix: PREFIX,
      clientId: `kasa-bench`,
      ...(opts.qos === undefined ? {} : { qos: opts.qos }),
      ...(mqtt.output === undefined ? {} : { output: mqtt.output }),
    },
    // Discovery reads its values from the JSON state, which `attributes` does not publish.
    ...(mqtt.output === 'attributes' ? { homeassistant: { enabled: false } } : {}),
    emonhub: { enabled: false },
    state: { dir: path.join(run.dir, 'state') },
    log: { level: 'info' },
  };
}

/** The environment of a child: this one's, minus every variable the collector's config reads. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(MQTT_|EMONHUB_|POLL_|HTTP_|LOG_LEVEL$|STATE_DIRECTORY$|KASA_COLLECTOR_)/.test(k))
      delete env[k];
  }
  return { ...env, ...extra };
}

function readReport(file: string): BenchSample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as BenchSample);
}

/** The collector's start-up: its first poll (preload) and "collector started" (its log). */
function readStartup(file: string, logFile: string): Startup | null {
  if (!existsSync(file)) return null;
  const first = JSON.parse(readFileSync(file, 'utf8')) as FirstPoll;
  let readyMs: number | null = null;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"collector started"')) continue;
    const time = (JSON.parse(line) as { time?: string }).time;
    if (time !== undefined) readyMs = round(Date.parse(time) - first.startMs, 0);
    break;
  }
  return {
    readyMs,
    firstPollMs: round(first.firstPollMs, 0),
    cpuToFirstPollMs: round(first.cpuUs / 1000, 0),
    rssAtFirstPollMB: round(first.rss / 2 ** 20, 1),
  };
}

/** The command and environment of one phase. */
function phaseCommand(
  label: string,
  poller: Poller,
  run: Run,
  opts: Options,
  files: { report: string; sends: string; startup: string },
): { command: [string, string[]]; env: NodeJS.ProcessEnv } {
  const fds = run.plugs + 300;
  const sends = { KASA_BENCH_SENDS: files.sends };
  if (poller.kind === 'bare-node') {
    return {
      command: [process.execPath, ['-e', 'setInterval(() => {}, 1000)']],
      env: cleanEnv({}),
    };
  }
  if (poller.kind === 'floor') {
    const floor: FloorOptions = {
      ports: run.ports,
      intervalS: run.intervalS,
      report: files.report,
    };
    const args = [...STAMP, path.join(HERE, 'floor.js'), JSON.stringify(floor)];
    return { command: nodeCommand(1, args, fds), env: cleanEnv(sends) };
  }
  if (poller.kind === 'peer') {
    const peer: PeerOptions = {
      ports: run.ports,
      intervalS: run.intervalS,
      timeoutMs: run.timeoutS * 1000,
      report: files.report,
    };
    const args = [...STAMP, path.join(HERE, 'peer.js'), JSON.stringify(peer)];
    return { command: nodeCommand(1, args, fds), env: cleanEnv(sends) };
  }
  const config = path.join(run.dir, `${label}.json`);
  writeFileSync(config, JSON.stringify(poller.config));
  const prof = opts.cpuProf
    ? [
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        path.resolve(opts.cpuProf),
        '--cpu-prof-name',
        `${label}-${run.plugs}.cpuprofile`,
      ]
    : [];
  const bin = opts.bin ?? path.join(ROOT, 'dist/bin.js');
  const args = [...prof, ...STAMP, ...REPORT, bin, 'run', '--config', config];
  return {
    command: nodeCommand(1, args, fds),
    env: cleanEnv({
      KASA_COLLECTOR_BENCH_REPORT: files.report,
      KASA_COLLECTOR_BENCH_INTERVAL: String(run.intervalS),
      KASA_COLLECTOR_BENCH_STARTUP: files.startup,
      ...sends,
      ...(process.env['BENCH_NODE_OPTIONS']
        ? { NODE_OPTIONS: process.env['BENCH_NODE_OPTIONS'] }
        : {}),
    }),
  };
}

/**
 * Runs one poller until a window of `run.ticks` whole ticks after `run.warmup` is complete,
 * sampling its process tree from `/proc` meanwhile (and a bare `node`'s, when given).
 */
async function runPhase(
  label: string,
  poller: Poller,
  run: Run,
  opts: Options,
  sim: SimHost,
  sub: Subscriber,
  beside?: TreeSampler,
): Promise<PhaseResult & { besideRssMB?: number }> {
  const files = {
    report: path.join(run.dir, `${label}.jsonl`),
    sends: path.join(run.dir, `${label}.sends`),
    startup: path.join(run.dir, `${label}.startup.json`),
  };
  // A later round's run must not read an earlier one's report.
  for (const file of Object.values(files)) rmSync(file, { force: true });
  const logFile = path.join(run.dir, `${label}.log`);
  const out = openSync(logFile, 'w');
  const { command, env } = phaseCommand(label, poller, run, opts, files);
  const child = spawn(command[0], command[1], { stdio: ['ignore', out, out], env });
  const sampler = new TreeSampler(child.pid as number);
  const deadline = Date.now() + (run.warmup + run.ticks + 10) * run.intervalS * 1000 + 60_000;
  let window: Window | undefined;
  while (window === undefined) {
    if (child.exitCode !== null) {
      sampler.stop();
      // The directory goes at the end of the scenario: quote the log's last lines now.
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new Error(`${label} exited with ${child.exitCode}; its last output:\n${tail}`);
    }
    if (Date.now() > deadline) {
      sampler.stop();
      await stopChild(child);
      throw new Error(`${label}: no complete window before the deadline; see ${logFile}`);
    }
    await sleep(200);
    window = measureWindow(readReport(files.report), run.warmup, run.ticks, run.intervalS);
  }
  const peak = treePeakRssMB(child.pid as number);
  sampler.stop();
  beside?.sample();
  await stopChild(child);
  const fromMs = window.firstTick * 1000;
  const toMs = (window.lastTick + run.intervalS) * 1000;
  const arrivals = await sim.arrivals(fromMs, toMs);
  const sent = sendOffsets(files.sends, new Set(run.ports), fromMs, toMs, run.intervalS * 1000);
  const polls = window.ok + window.failed;
  const healthy = run.plugs - run.hungIdx.length;
  const steady = steadyWindow(sampler.samples, window.startAt, window.endAt);
  const bare = beside && steadyWindow(beside.samples, window.startAt, window.endAt);
  const last = sampler.samples.at(-1);
  const w = window;
  const mqttOn =
    poller.kind === 'collector' &&
    (poller.config as { mqtt?: { enabled?: boolean } }).mqtt?.enabled === true;
  return {
    phase: label,
    plugs: run.plugs,
    hung: run.hungIdx.length,
    ticks: window.ticks,
    pollsOk: window.ok,
    pollsFailed: window.failed,
    missedHealthy: Math.max(0, healthy * window.ticks - window.ok),
    cpuUsPerPoll: round(window.cpuUs / polls, 1),
    userUsPerPoll: round(window.userUs / polls, 1),
    systemUsPerPoll: round(window.systemUs / polls, 1),
    peakRssMB: round(peak, 1),
    rssEndMB: round(window.rss / 2 ** 20, 1),
    tickOffsetMs: spread(sent),
    plugArrivalMs: spread(arrivals.offsetsMs),
    tickStartMs: spread(arrivals.firstOffsetsMs),
    deliveredMs: mqttOn
      ? spread(
          sub.delivered
            .filter(([t]) => t >= w.firstTick && t <= w.lastTick)
            .map(([t, at]) => at - t * 1000),
        )
      : null,
    steady:
      steady === undefined
        ? null
        : {
            cpuUsPerPoll: round((steady.cpuMs * 1000) / polls, 1),
            rssMB: round(steady.rssMeanMB, 1),
            rssMaxMB: round(steady.rssMaxMB, 1),
          },
    runCpuS: last === undefined ? null : round(last.cpuMs / 1000, 2),
    startup: poller.kind === 'collector' ? readStartup(files.startup, logFile) : null,
    ...(bare === undefined ? {} : { besideRssMB: round(bare.rssMeanMB, 1) }),
  };
}

/** The poller's request writes to plugs in [fromMs, toMs), as offsets from their tick, ms. */
function sendOffsets(
  file: string,
  ports: ReadonlySet<number>,
  fromMs: number,
  toMs: number,
  periodMs: number,
): number[] {
  if (!existsSync(file)) return [];
  const out: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [t, port] = line.split(' ').map(Number) as [number, number];
    if (!ports.has(port) || !(t >= fromMs && t < toMs)) continue;
    out.push(t - Math.floor(t / periodMs) * periodMs);
  }
  return out;
}

/** Which plugs hang: spread evenly, `floor(n·share)` of them. */
function hungIndexes(n: number, share: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (Math.floor((i + 1) * share) > Math.floor(i * share)) out.push(i);
  return out;
}

/** Starts `plugs` simulated plugs and a subscriber, runs `body`, and cleans up. */
async function withPlugs<T>(
  plugs: number,
  hung: number[],
  intervalS: number,
  brokerUrl: string,
  opts: Options,
  body: (sim: SimHost, sub: Subscriber, ports: number[], dir: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `kasa-bench-${plugs}-`));
  const sim = new SimHost({ plugs, hung, intervalS });
  const sub = await subscriber(brokerUrl, PREFIX);
  try {
    return await body(sim, sub, await sim.ports, dir);
  } finally {
    await sub.stop();
    await sim.stop();
    if (opts.keep) process.stderr.write(`bench: kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The comparison at one plug count: `opts.phases`, the collector once per output mode. */
function runCompare(plugs: number, opts: Options, brokerUrl: string): Promise<PhaseResult[]> {
  const hungIdx = hungIndexes(plugs, opts.hung);
  const intervalS = opts.intervalS;
  return withPlugs(plugs, hungIdx, intervalS, brokerUrl, opts, async (sim, sub, ports, dir) => {
    const run: Run = {
      plugs,
      hungIdx,
      ports,
      brokerUrl,
      dir,
      intervalS,
      timeoutS: opts.timeoutS ?? Math.min(2, intervalS / 2),
      warmup: opts.warmup ?? Math.max(3, Math.ceil(3000 / plugs)),
      ticks: windowTicks(opts, intervalS),
    };
    const steps: [string, Poller][] = opts.phases.flatMap((phase: Phase): [string, Poller][] => {
      if (phase === 'floor' || phase === 'peer') return [[phase, { kind: phase }]];
      if (phase === 'collector-bare') {
        return [[phase, { kind: 'collector', config: collectorConfig(run, opts, { on: false }) }]];
      }
      return collectorRuns(opts.outputs).map(({ label, output }): [string, Poller] => [
        label,
        { kind: 'collector', config: collectorConfig(run, opts, { on: true, output }) },
      ]);
    });
    const runs = new Map<string, PhaseResult[]>();
    for (let round = 1; round <= opts.rounds; round++) {
      for (const [label, poller] of steps) {
        const of = opts.rounds > 1 ? ` (round ${round} of ${opts.rounds})` : '';
        process.stderr.write(`bench: ${plugs} plugs, ${label}${of}…\n`);
        try {
          const result = await runPhase(label, poller, run, opts, sim, sub);
          runs.set(label, [...(runs.get(label) ?? []), result]);
          if (opts.rounds > 1) {
            const cpu = result.steady?.cpuUsPerPoll.toFixed(1) ?? '–';
            process.stderr.write(`bench: ${label}: ${cpu} µs/poll steady\n`);
          }
        } catch (err) {
          // One poller that cannot run (a config key this build lacks) leaves the others' figures.
          process.stderr.write(`bench: ${label} left out: ${(err as Error).message}\n`);
        }
        await sleep(2000); // let the plugs, the broker and the subscriber go idle
      }
    }
    return [...runs.values()].map(medianRun);
  });
}

/** Of one poller's runs, the one with the median steady CPU per poll (the lower middle one). */
function medianRun(results: PhaseResult[]): PhaseResult {
  const sorted = [...results].sort(
    (a, b) => (a.steady?.cpuUsPerPoll ?? Infinity) - (b.steady?.cpuUsPerPoll ?? Infinity),
  );
  return sorted[Math.floor((sorted.length - 1) / 2)] as PhaseResult;
}

/** 3000 plugs at 1 s, the collector with MQTT (once per output mode). */
function runScale(opts: Options, brokerUrl: string): Promise<PhaseResult[]> {
  const plugs = opts.scalePlugs;
  return withPlugs(plugs, [], 1, brokerUrl, opts, async (sim, sub, ports, dir) => {
    const run: Run = {
      plugs,
      hungIdx: [],
      ports,
      brokerUrl,
      dir,
      intervalS: 1,
      timeoutS: 0.5,
      warmup: opts.warmup ?? 3,
      ticks: windowTicks(opts, 1),
    };
    const out: PhaseResult[] = [];
    for (const { label, output } of collectorRuns(opts.outputs)) {
      process.stderr.write(`bench: scale, ${plugs} plugs, ${label}…\n`);
      const config = collectorConfig(run, opts, { on: true, output });
      const poller: Poller = { kind: 'collector', config };
      try {
        out.push(await runPhase(`scale ${label}`, poller, run, opts, sim, sub));
      } catch (err) {
        process.stderr.write(`bench: scale ${label} left out: ${(err as Error).message}\n`);
      }
      await sleep(2000);
    }
    return out;
  });
}

/**
 * The Pi owner's setup: `--fleet-plugs` plugs, every sink on (MQTT + Home Assistant discovery,
 * emonhub against the soak's fake interfacer, `/metrics` and the status page), 2 s ticks,
 * beside a bare idling `node` sampled over the same window.
 */
function runSmallFleet(
  opts: Options,
  brokerUrl: string,
): Promise<{ collector: PhaseResult; bareNodeRssMB: number }> {
  const plugs = opts.fleetPlugs;
  const intervalS = FLEET_INTERVAL_S;
  return withPlugs(plugs, [], intervalS, brokerUrl, opts, async (sim, sub, ports, dir) => {
    const emonhub = await nodeChild<{ port: number }>('soak-emonhub.js', {});
    const httpPort = await freePort();
    const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    const bareSampler = new TreeSampler(bare.pid as number, 500);
    try {
      const run: Run = {
        plugs,
        hungIdx: [],
        ports,
        brokerUrl,
        dir,
        intervalS,
        timeoutS: 1,
        warmup: opts.warmup ?? (opts.quick ? 5 : 10),
        ticks: windowTicks(opts, intervalS),
      };
      // emonhub's socket interfacer takes ~10 frames a second: 16 nodes at 2 s is 8.
      const config = {
        poll: { interval: intervalS, timeout: 1 },
        devices: ports.map((port, i) => ({
          host: '127.0.0.1',
          port,
          name: `plug_${i}`,
          ...(i < 16 ? { node: i + 1 } : {}),
        })),
        mqtt: { enabled: true, url: brokerUrl, topicPrefix: PREFIX, clientId: 'kasa-bench' },
        homeassistant: { enabled: true },
        emonhub: { enabled: true, port: emonhub.ready.port },
        http: { enabled: true, port: httpPort },
        state: { dir: path.join(dir, 'state') },
        log: { level: 'info' },
      };
      process.stderr.write(`bench: small fleet, ${plugs} plugs, every sink on…\n`);
      const scrape = setInterval(() => {
        void canConnect(httpPort).then(async (up) => {
          if (up) await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
        });
      }, 15_000);
      let result: PhaseResult & { besideRssMB?: number };
      try {
        const poller: Poller = { kind: 'collector', config };
        result = await runPhase('small-fleet', poller, run, opts, sim, sub, bareSampler);
      } finally {
        clearInterval(scrape);
      }
      const { besideRssMB, ...collector } = result;
      return { collector, bareNodeRssMB: besideRssMB ?? NaN };
    } finally {
      bareSampler.stop();
      await stopChild(bare);
      emonhub.child.disconnect();
      await stopChild(emonhub.child);
    }
  });
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const { soft, hard } = fdLimits();
  const most = Math.max(
    ...(opts.scenarios.includes('compare') ? opts.plugs : [0]),
    opts.scenarios.includes('scale') ? opts.scalePlugs : 0,
  );
  const need = most * 2 + 200;
  if (need > hard) {
    process.stderr.write(
      `bench: ${most} plugs need ~${need} file descriptors, ulimit -n allows ` +
        `${hard}; raise it (e.g. ulimit -n ${need}) or use fewer plugs\n`,
    );
    process.exitCode = 2;
    return;
  }
  if (PIN_BROKER) {
    // This process (the subscriber) shares CPU 0 with the plugs and the broker.
    spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  }
  if (!CAN_PIN) {
    process.stderr.write('bench: taskset or a 2nd CPU missing: processes not pinned\n');
  }
  const brokerDir = mkdtempSync(path.join(os.tmpdir(), 'kasa-bench-broker-'));
  const b = await broker(brokerDir);
  const compare: PhaseResult[] = [];
  let smallFleet: { collector: PhaseResult; bareNodeRssMB: number } | undefined;
  const scale: PhaseResult[] = [];
  try {
    if (opts.scenarios.includes('compare')) {
      for (const n of opts.plugs) compare.push(...(await runCompare(n, opts, b.url)));
    }
    if (opts.scenarios.includes('small-fleet')) smallFleet = await runSmallFleet(opts, b.url);
    if (opts.scenarios.includes('scale')) scale.push(...(await runScale(opts, b.url)));
  } finally {
    await b.stop();
    rmSync(brokerDir, { recursive: true, force: true });
  }
  const targetPlugs = opts.plugs.includes(1000) ? 1000 : (opts.plugs[0] as number);
  const rows = summarize({ compare, smallFleet, scale, targetPlugs });
  const cpus = os.cpus();
  const result = {
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGB: round(os.totalmem() / 1e9, 1),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
      pinned: CAN_PIN,
      fdLimit: soft,
      loadAverage: os.loadavg().map((l) => round(l, 2)),
    },
    options: { ...opts, warmup: opts.warmup ?? 'auto' },
    broker: b.kind,
    compare,
    smallFleet: smallFleet ?? null,
    scale,
    targets: rows,
  };
  const json = JSON.stringify(result, null, 2);
  if (opts.json !== undefined) writeFileSync(opts.json, `${json}\n`);
  const all = [...compare, ...(smallFleet ? [smallFleet.collector] : []), ...scale];
  process.stdout.write(`${table(all)}\n\n`);
  if (smallFleet !== undefined) {
    process.stdout.write(
      `bare idling node beside the small fleet: ${smallFleet.bareNodeRssMB} MB RSS\n\n`,
    );
  }
  process.stdout.write(`${summaryTable(rows)}\n`);
  if (opts.json !== undefined) process.stdout.write(`\n(JSON in ${opts.json})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
