/**
 * `npm run bench`: the collector against tplink-smarthome-api, side by side, against the same
 * simulated plugs in the same run (docs/performance.md). Not a test: it measures and prints.
 *
 * Per plug count it starts N simulated plugs in a process of their own (pinned to CPU 0 with
 * `taskset` when there are 2+ CPUs), a broker (mosquitto on a free port when installed, else
 * the embedded aedes broker in a child process) and a subscriber that timestamps every reading
 * the broker delivers; then runs in turn, each pinned to CPU 1, for `--warmup` + `--ticks`
 * harmonized ticks:
 *   floor           a bare `node:net` loop, no library, kept-alive connections (`floor.ts`)
 *   collector-bare  `node dist/bin.js run` with every sink off: schedule, poll, parse, normalize
 *   peer            tplink-smarthome-api, one `sendCommand` per plug per tick (`peer.ts`)
 *   collector       `node dist/bin.js run` with MQTT publishing every topic (emonhub off)
 * CPU time and poll counts come from each process's own report over a window of whole ticks
 * after the warm-up (`report.ts`, preloaded into the collector as `collector-report.ts`); peak RSS from /proc/<pid>/status (VmHWM); the tick
 * offset from each poller's socket writes (`send-stamp.ts`, preloaded into both) and, for
 * comparison, from the plugs, which stamp each request's arrival (`sim-host.ts`).
 *
 * Usage: npm run bench -- [--plugs N] [--interval S] [--ticks K] [--hung P] [--json FILE]
 *                         [--sweep] [--warmup W] [--timeout S] [--qos Q] [--phases a,b]
 *                         [--cpu-prof DIR] [--keep] [--output MODE]
 * `--sweep` runs 100, 1000 and 3000 plugs; `--phases` picks among the three pollers;
 * `--cpu-prof DIR` profiles the collector runs; `--keep` keeps configs, logs and reports.
 * Environment: BENCH_NODE_OPTIONS is passed to the collector as NODE_OPTIONS (V8 flags);
 * BENCH_PIN_BROKER=1 pins the broker and this process to CPU 0 with the plugs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { BenchSample } from './report.js';
import { findMosquitto } from '../test/fakes/broker.js';
import type { FloorOptions } from './floor.js';
import type { PeerOptions } from './peer.js';
import type { ArrivalsQuery, SimHostMessage, SimHostOptions } from './sim-host.js';
import { measureWindow, round, spread, table, type PhaseResult, type Window } from './stats.js';
import { checkInterval } from '../src/config/tick-pattern.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const BIN = path.join(ROOT, 'dist/bin.js');
/** In this order: the MQTT run last, so its broker backlog cannot disturb the others. */
const PHASES = ['floor', 'collector-bare', 'peer', 'collector'] as const;
type Phase = (typeof PHASES)[number];
const PREFIX = 'bench';
/** Preloaded into each measured poller to stamp its request writes (`send-stamp.ts`). */
const STAMP = ['--import', pathToFileURL(path.join(HERE, 'send-stamp.js')).href];
/** Preloaded into the collector runs: the per-interval report (`collector-report.ts`). */
const REPORT = ['--import', pathToFileURL(path.join(HERE, 'collector-report.js')).href];

interface Options {
  plugs: number[];
  intervalS: number;
  ticks: number;
  /** Ticks left out after the first poll; default enough for ~3000 polls (JIT warm-up), ≥ 3. */
  warmup: number | undefined;
  hung: number;
  timeoutS: number;
  json: string | undefined;
  phases: Phase[];
  cpuProf: string | undefined;
  /** Keep the temporary directory (configs, logs, reports) and print its path. */
  keep: boolean;
  /** `mqtt.qos` of the collector; default: the collector's default. */
  qos: number | undefined;
  /** `mqtt.output` of the collector; default: the collector's default. */
  output: string | undefined;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      plugs: { type: 'string', default: '1000' },
      interval: { type: 'string', default: '1' },
      ticks: { type: 'string', default: '10' },
      warmup: { type: 'string' },
      hung: { type: 'string', default: '0' },
      timeout: { type: 'string' },
      json: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      phases: { type: 'string', default: PHASES.join(',') },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      qos: { type: 'string' },
      output: { type: 'string' },
    },
  });
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} ${v}: a whole number ≥ ${min}`);
    return n;
  };
  const intervalS = int('interval', values.interval, 1);
  const intervalIssue = checkInterval(intervalS)[0];
  if (intervalIssue) throw new Error(`--interval ${values.interval}: ${intervalIssue.message}`);
  const hung = Number(values.hung);
  if (!(hung >= 0 && hung < 1)) throw new Error(`--hung ${values.hung}: a share, 0 ≤ P < 1`);
  const phases = values.phases.split(',').map((p) => {
    if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--phases: unknown "${p}"`);
    return p as Phase;
  });
  return {
    plugs: values.sweep ? [100, 1000, 3000] : [int('plugs', values.plugs, 1)],
    intervalS,
    ticks: int('ticks', values.ticks, 1),
    warmup: values.warmup === undefined ? undefined : int('warmup', values.warmup, 1),
    hung,
    timeoutS: values.timeout === undefined ? Math.min(2, intervalS / 2) : Number(values.timeout),
    json: values.json,
    phases,
    cpuProf: values['cpu-prof'],
    keep: values.keep,
    qos: values.qos === undefined ? undefined : int('qos', values.qos, 0),
    output: values.output,
  };
}

/** Soft and hard `ulimit -n` of this process (children inherit them). */
function fdLimits(): { soft: number; hard: number } {
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(
      readFileSync('/proc/self/limits', 'utf8'),
    );
    const n = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s));
    if (m) return { soft: n(m[1]), hard: n(m[2]) };
  } catch {
    // not Linux
  }
  return { soft: Infinity, hard: Infinity };
}

const CAN_PIN = existsSync('/usr/bin/taskset') && os.availableParallelism() >= 2;
const PIN_BROKER = CAN_PIN && process.env['BENCH_PIN_BROKER'] === '1';

/**
 * `node args…` pinned to `cpu` with taskset when possible, with the soft fd limit raised to the
 * hard one when `fds` needs it (Node cannot raise its own limit).
 */
function nodeCommand(cpu: number, args: string[], fds: number): [string, string[]] {
  let cmd: [string, string[]] = [process.execPath, args];
  if (CAN_PIN) cmd = ['taskset', ['-c', String(cpu), ...cmd.flat()]];
  const { soft, hard } = fdLimits();
  if (fds > soft && Number.isFinite(hard)) {
    cmd = ['sh', ['-c', `ulimit -n ${hard} && exec "$@"`, 'sh', cmd[0], ...cmd[1]]];
  }
  return cmd;
}

function peakRssMB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024, 1) : NaN;
  } catch {
    return NaN;
  }
}

function readReport(file: string): BenchSample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as BenchSample);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stopChild(child: ChildProcess, ms = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** The simulated plugs' process. */
class SimHost {
  readonly #child: ChildProcess;
  readonly ports: Promise<number[]>;

  constructor(opts: SimHostOptions) {
    const [cmd, args] = nodeCommand(
      0,
      [path.join(HERE, 'sim-host.js'), JSON.stringify(opts)],
      opts.plugs * 2 + 200,
    );
    this.#child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ports = new Promise((resolve, reject) => {
      this.#child.once('exit', (code) => reject(new Error(`sim-host exited with ${code}`)));
      this.#child.on('message', (m: SimHostMessage) => {
        if (m.type === 'ready') resolve(m.ports);
      });
    });
  }

  arrivals(fromMs: number, toMs: number): Promise<Extract<SimHostMessage, { type: 'arrivals' }>> {
    return new Promise((resolve) => {
      const onMessage = (m: SimHostMessage): void => {
        if (m.type !== 'arrivals') return;
        this.#child.off('message', onMessage);
        resolve(m);
      };
      this.#child.on('message', onMessage);
      const q: ArrivalsQuery = { type: 'arrivals', fromMs, toMs };
      this.#child.send(q);
    });
  }

  async stop(): Promise<void> {
    this.#child.removeAllListeners('exit');
    await stopChild(this.#child);
  }
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A broker in a process of its own, pinned with the plugs to CPU 0 so that the poller has CPU 1
 * to itself: mosquitto on a free loopback port when installed, else the embedded aedes broker.
 */
async function broker(dir: string): Promise<{ url: string; kind: string; stop(): Promise<void> }> {
  const bin = findMosquitto();
  let child: ChildProcess;
  let port: number;
  if (bin !== undefined) {
    port = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n` +
        `max_queued_messages 0\nlog_dest stderr\nlog_type error\n`,
    );
    const cmd: [string, string[]] = PIN_BROKER
      ? ['taskset', ['-c', '0', bin, '-c', conf]]
      : [bin, ['-c', conf]];
    child = spawn(cmd[0], cmd[1], { stdio: ['ignore', 'ignore', 'inherit'] });
    const deadline = Date.now() + 5000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error('mosquitto did not start');
      await sleep(20);
    }
  } else {
    const [cmd, args] = PIN_BROKER
      ? nodeCommand(0, [path.join(HERE, 'broker-child.js')], 1000)
      : [process.execPath, [path.join(HERE, 'broker-child.js')]];
    child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
      child.once('message', (m: { port: number }) => resolve(m.port));
    });
    child.removeAllListeners('exit');
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    kind: bin !== undefined ? 'mosquitto' : 'aedes',
    stop: () => stopChild(child),
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Subscribes to every reading's JSON state topic and stamps its delivery. */
async function subscriber(
  url: string,
): Promise<{ delivered: [number, number][]; stop(): Promise<void> }> {
  const delivered: [number, number][] = [];
  const client = mqtt.connect(url, { clientId: `kasa-bench-sub-${process.pid}`, clean: true });
  client.on('message', (topic, payload) => {
    const at = performance.timeOrigin + performance.now();
    if (topic.indexOf('/') !== topic.lastIndexOf('/') || topic === `${PREFIX}/bridge`) return;
    const time = (JSON.parse(payload.toString()) as { time?: number }).time;
    if (typeof time === 'number') delivered.push([time, at]);
  });
  await client.subscribeAsync(`${PREFIX}/+`, { qos: 0 });
  return { delivered, stop: () => client.endAsync() };
}

interface Run {
  plugs: number;
  hungIdx: number[];
  ports: number[];
  brokerUrl: string;
  dir: string;
}

function collectorConfig(run: Run, opts: Options, mqttOn: boolean, stateDir: string): object {
  return {
    poll: {
      interval: opts.intervalS,
      timeout: opts.timeoutS,
      concurrency: run.plugs,
      offlineAfter: 3,
    },
    devices: run.ports.map((port, i) => ({ host: '127.0.0.1', port, name: `plug_${i}` })),
    mqtt: {
      enabled: mqttOn,
      url: run.brokerUrl,
      topicPrefix: PREFIX,
      clientId: `kasa-bench`,
      ...(opts.qos === undefined ? {} : { qos: opts.qos }),
      ...(opts.output === undefined ? {} : { output: opts.output }),
    },
    emonhub: { enabled: false },
    state: { dir: stateDir },
    log: { level: 'info' },
  };
}

/** The environment of a child: this one's, minus every variable the collector's config reads. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(MQTT_|EMONHUB_|POLL_|LOG_LEVEL$|STATE_DIRECTORY$|KASA_COLLECTOR_)/.test(k))
      delete env[k];
  }
  return { ...env, ...extra };
}

async function runPhase(
  phase: Phase,
  run: Run,
  opts: Options,
  sim: SimHost,
  sub: { delivered: [number, number][] },
): Promise<PhaseResult> {
  const report = path.join(run.dir, `${phase}.jsonl`);
  const sends = path.join(run.dir, `${phase}.sends`);
  const logFile = path.join(run.dir, `${phase}.log`);
  const out = openSync(logFile, 'w');
  const fds = run.plugs + 300;
  let command: [string, string[]];
  let env: NodeJS.ProcessEnv;
  if (phase === 'floor') {
    const floor: FloorOptions = { ports: run.ports, intervalS: opts.intervalS, report };
    command = nodeCommand(1, [...STAMP, path.join(HERE, 'floor.js'), JSON.stringify(floor)], fds);
    env = cleanEnv({ KASA_BENCH_SENDS: sends });
  } else if (phase === 'peer') {
    const peer: PeerOptions = {
      ports: run.ports,
      intervalS: opts.intervalS,
      timeoutMs: opts.timeoutS * 1000,
      report,
    };
    command = nodeCommand(1, [...STAMP, path.join(HERE, 'peer.js'), JSON.stringify(peer)], fds);
    env = cleanEnv({ KASA_BENCH_SENDS: sends });
  } else {
    const stateDir = path.join(run.dir, `${phase}-state`);
    const config = path.join(run.dir, `${phase}.json`);
    writeFileSync(
      config,
      JSON.stringify(collectorConfig(run, opts, phase === 'collector', stateDir)),
    );
    const prof = opts.cpuProf
      ? [
          '--cpu-prof',
          '--cpu-prof-interval',
          '100',
          '--cpu-prof-dir',
          path.resolve(opts.cpuProf),
          '--cpu-prof-name',
          `${phase}-${run.plugs}.cpuprofile`,
        ]
      : [];
    command = nodeCommand(1, [...prof, ...STAMP, ...REPORT, BIN, 'run', '--config', config], fds);
    env = cleanEnv({
      KASA_COLLECTOR_BENCH_REPORT: report,
      KASA_COLLECTOR_BENCH_INTERVAL: String(opts.intervalS),
      KASA_BENCH_SENDS: sends,
      ...(process.env['BENCH_NODE_OPTIONS']
        ? { NODE_OPTIONS: process.env['BENCH_NODE_OPTIONS'] }
        : {}),
    });
  }
  const child = spawn(command[0], command[1], { stdio: ['ignore', out, out], env });
  const warmup = warmupTicks(run.plugs, opts);
  const deadline = Date.now() + (warmup + opts.ticks + 10) * opts.intervalS * 1000 + 60_000;
  let window: Window | undefined;
  while (window === undefined) {
    if (child.exitCode !== null) {
      throw new Error(`${phase} exited with ${child.exitCode}; see ${logFile}`);
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${phase}: no complete window before the deadline; see ${logFile}`);
    }
    await sleep(200);
    window = measureWindow(readReport(report), warmup, opts.ticks, opts.intervalS);
  }
  const peak = peakRssMB(child.pid);
  await stopChild(child);
  const fromMs = window.firstTick * 1000;
  const toMs = (window.lastTick + opts.intervalS) * 1000;
  const arrivals = await sim.arrivals(fromMs, toMs);
  const sent = sendOffsets(sends, new Set(run.ports), fromMs, toMs, opts.intervalS * 1000);
  const polls = window.ok + window.failed;
  const healthy = run.plugs - run.hungIdx.length;
  const delivered =
    phase === 'collector'
      ? spread(
          sub.delivered
            .filter(([t]) => t >= window.firstTick && t <= window.lastTick)
            .map(([t, at]) => at - t * 1000),
        )
      : null;
  return {
    phase,
    plugs: run.plugs,
    hung: run.hungIdx.length,
    ticks: window.ticks,
    pollsOk: window.ok,
    pollsFailed: window.failed,
    missedHealthy: Math.max(0, healthy * window.ticks - window.ok),
    cpuUsPerPoll: round(window.cpuUs / polls, 1),
    userUsPerPoll: round(window.userUs / polls, 1),
    systemUsPerPoll: round(window.systemUs / polls, 1),
    peakRssMB: peak,
    rssEndMB: round(window.rss / 2 ** 20, 1),
    tickOffsetMs: spread(sent),
    plugArrivalMs: spread(arrivals.offsetsMs),
    tickStartMs: spread(arrivals.firstOffsetsMs),
    deliveredMs: delivered,
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

/** Ticks left out after the first poll: enough for the JIT to settle (~3000 polls), ≥ 3. */
function warmupTicks(plugs: number, opts: Options): number {
  return opts.warmup ?? Math.max(3, Math.ceil(3000 / plugs));
}

/** Which plugs hang: spread evenly, `floor(n·share)` of them. */
function hungIndexes(n: number, share: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (Math.floor((i + 1) * share) > Math.floor(i * share)) out.push(i);
  return out;
}

interface RunResult {
  plugs: number;
  hung: number;
  phases: PhaseResult[];
  ratios: {
    pollPathCpu?: number;
    pipelineCpu?: number;
    peakRss?: number;
    pollPathVsFloor?: number;
  };
}

async function runOnce(plugs: number, opts: Options, brokerUrl: string): Promise<RunResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `kasa-bench-${plugs}-`));
  const hungIdx = hungIndexes(plugs, opts.hung);
  const sim = new SimHost({ plugs, hung: hungIdx, intervalS: opts.intervalS });
  const sub = await subscriber(brokerUrl);
  const phases: PhaseResult[] = [];
  try {
    const ports = await sim.ports;
    const run: Run = { plugs, hungIdx, ports, brokerUrl, dir };
    for (const phase of opts.phases) {
      process.stderr.write(`bench: ${plugs} plugs, ${phase}…\n`);
      phases.push(await runPhase(phase, run, opts, sim, sub));
      await sleep(2000); // let the plugs, the broker and the subscriber go idle
    }
  } finally {
    await sub.stop();
    await sim.stop();
  }
  if (opts.keep) process.stderr.write(`bench: kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
  const by = (p: Phase): PhaseResult | undefined => phases.find((r) => r.phase === p);
  const peer = by('peer');
  const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : round(a / b, 2);
  return {
    plugs,
    hung: hungIdx.length,
    phases,
    ratios: {
      pollPathCpu: ratio(by('collector-bare')?.cpuUsPerPoll, peer?.cpuUsPerPoll),
      pipelineCpu: ratio(by('collector')?.cpuUsPerPoll, peer?.cpuUsPerPoll),
      peakRss: ratio(by('collector')?.peakRssMB, peer?.peakRssMB),
      pollPathVsFloor: ratio(by('collector-bare')?.cpuUsPerPoll, by('floor')?.cpuUsPerPoll),
    },
  };
}

/** The performance targets (docs/performance.md), judged on one run. */
function targets(run: RunResult): Record<string, boolean | undefined> {
  const collector = run.phases.filter((p) => p.phase.startsWith('collector'));
  const main = run.phases.find((p) => p.phase === 'collector');
  return {
    'poll path ≤ 1/3 of peer CPU':
      run.ratios.pollPathCpu === undefined ? undefined : run.ratios.pollPathCpu <= 1 / 3,
    'pipeline with MQTT ≤ peer CPU':
      run.ratios.pipelineCpu === undefined ? undefined : run.ratios.pipelineCpu <= 1,
    'peak RSS ≤ 100 MB': main === undefined ? undefined : main.peakRssMB <= 100,
    'tick offset p99 ≤ 5 ms': collector.every((p) => (p.tickOffsetMs?.p99 ?? Infinity) <= 5),
    'no missed tick (healthy plugs)': collector.every((p) => p.missedHealthy === 0),
  };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const { soft, hard } = fdLimits();
  const need = Math.max(...opts.plugs) * 2 + 200;
  if (need > hard) {
    process.stderr.write(
      `bench: ${Math.max(...opts.plugs)} plugs need ~${need} file descriptors, ulimit -n allows ` +
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
  const runs: RunResult[] = [];
  try {
    for (const n of opts.plugs) runs.push(await runOnce(n, opts, b.url));
  } finally {
    await b.stop();
    rmSync(brokerDir, { recursive: true, force: true });
  }
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
    },
    options: {
      interval: opts.intervalS,
      ticks: opts.ticks,
      warmup: opts.warmup ?? 'auto: max(3, 3000 / plugs) ticks',
      hung: opts.hung,
      timeout: opts.timeoutS,
    },
    broker: b.kind,
    runs: runs.map((r) => ({ ...r, targets: targets(r) })),
  };
  const json = JSON.stringify(result, null, 2);
  if (opts.json !== undefined) writeFileSync(opts.json, `${json}\n`);
  process.stdout.write(`${table(runs.flatMap((r) => r.phases))}\n\n`);
  for (const r of result.runs) {
    const ratios = Object.entries(r.ratios)
      .map(([k, v]) => `${k} ${v ?? '–'}`)
      .join(', ');
    process.stdout.write(`${r.plugs} plugs: ${ratios} (collector/peer; poll path/floor)\n`);
    for (const [k, v] of Object.entries(r.targets)) {
      process.stdout.write(`  ${v === undefined ? '–' : v ? 'met' : 'NOT met'}: ${k}\n`);
    }
  }
  process.stdout.write(`\n${json}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
