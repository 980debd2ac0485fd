/**
 * The benchmark's processes (`bench.ts`): pinning, file-descriptor limits, the simulated plugs'
 * process, the broker, the fake emonhub and the subscriber that stamps delivered readings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { findMosquitto } from '../test/fakes/broker.js';
import type { ArrivalsQuery, SimHostMessage, SimHostOptions } from './sim-host.js';

/** Where the compiled benchmark lives (`dist/bench/bench`). */
export const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Soft and hard `ulimit -n` of this process (children inherit them). */
export function fdLimits(): { soft: number; hard: number } {
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

/** True when processes can be pinned to CPUs (`taskset`, two CPUs or more). */
export const CAN_PIN = existsSync('/usr/bin/taskset') && os.availableParallelism() >= 2;
/** `BENCH_PIN_BROKER=1`: the broker and this process share CPU 0 with the plugs. */
export const PIN_BROKER = CAN_PIN && process.env['BENCH_PIN_BROKER'] === '1';

/**
 * `node args…` pinned to `cpu` with taskset when possible, with the soft fd limit raised to the
 * hard one when `fds` needs it (Node cannot raise its own limit). Both wrappers `exec`, so the
 * child's pid is node's.
 */
export function nodeCommand(cpu: number, args: string[], fds: number): [string, string[]] {
  let cmd: [string, string[]] = [process.execPath, args];
  if (CAN_PIN) cmd = ['taskset', ['-c', String(cpu), ...cmd.flat()]];
  const { soft, hard } = fdLimits();
  if (fds > soft && Number.isFinite(hard)) {
    cmd = ['sh', ['-c', `ulimit -n ${hard} && exec "$@"`, 'sh', cmd[0], ...cmd[1]]];
  }
  return cmd;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `ms`; resolves when the child has exited. */
export async function stopChild(child: ChildProcess, ms = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** The simulated plugs' process (`sim-host.ts`), pinned to CPU 0. */
export class SimHost {
  readonly #child: ChildProcess;
  readonly ports: Promise<number[]>;

  /** @param opts plug count, hung plugs, interval */
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

  /** The requests that arrived in [fromMs, toMs), as offsets from their tick. */
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

  /** Stops the plugs. */
  async stop(): Promise<void> {
    this.#child.removeAllListeners('exit');
    await stopChild(this.#child);
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when a TCP connection to 127.0.0.1:`port` is accepted. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A node child of the benchmark that reports `{type:'ready', …}` over IPC. */
export async function nodeChild<T>(
  script: string,
  arg: unknown,
): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawn(process.execPath, [path.join(HERE, script), JSON.stringify(arg)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.on('message', (m: { type: string }) => {
      if (m.type === 'ready') resolve(m as T);
    });
  });
  child.removeAllListeners('exit');
  return { child, ready };
}

/** A running broker. */
export interface Broker {
  url: string;
  kind: string;
  stop(): Promise<void>;
}

/**
 * A broker in a process of its own (pinned with the plugs to CPU 0 with `BENCH_PIN_BROKER=1`):
 * mosquitto on a free loopback port when installed, else the embedded aedes broker.
 * @param dir where mosquitto's config goes
 */
export async function broker(dir: string): Promise<Broker> {
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

/** Readings delivered by the broker: `[reading time s, delivered ms since the epoch]`. */
export interface Subscriber {
  delivered: [number, number][];
  stop(): Promise<void>;
}

/**
 * Subscribes to every reading's JSON state topic (`<prefix>/<name>`) and stamps its delivery.
 * @param url the broker
 * @param prefix the collector's `mqtt.topicPrefix`
 */
export async function subscriber(url: string, prefix: string): Promise<Subscriber> {
  const delivered: [number, number][] = [];
  const client = mqtt.connect(url, { clientId: `kasa-bench-sub-${process.pid}`, clean: true });
  client.on('message', (topic, payload) => {
    const at = performance.timeOrigin + performance.now();
    if (topic.indexOf('/') !== topic.lastIndexOf('/') || topic === `${prefix}/bridge`) return;
    let time: unknown;
    try {
      time = (JSON.parse(payload.toString()) as { time?: unknown }).time;
    } catch {
      return;
    }
    if (typeof time === 'number') delivered.push([time, at]);
  });
  await client.subscribeAsync(`${prefix}/+`, { qos: 0 });
  return { delivered, stop: () => client.endAsync() };
}
