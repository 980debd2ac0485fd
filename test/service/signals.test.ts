import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { startBroker, type TestBroker } from '../fakes/broker.js';
import { waitFor } from '../fakes/wait.js';

/**
 * The real executable as systemd runs it: `node dist/bin.js run --config FILE`, driven with
 * SIGHUP, SIGTERM and a double SIGTERM. `npm test` builds `dist/` first (the `pretest` script).
 */

const BIN = path.resolve(import.meta.dirname, '..', '..', 'dist', 'bin.js');

interface Running {
  child: ChildProcess;
  out: string[];
  exited: Promise<{ code: number | null; ms: number }>;
  stopAt: number;
}

describe.skipIf(!existsSync(BIN))('kasa-collector run: signals', () => {
  let broker: TestBroker;
  let plugs: SimulatedPlug[];
  let dir: string;
  let sub: MqttClient;
  const seen: { topic: string; payload: string }[] = [];
  let running: Running | undefined;

  const writeConfig = async (file: string, devices: object[], extra: object = {}) =>
    writeFile(
      file,
      JSON.stringify({
        poll: { interval: 1, timeout: 0.4, offlineAfter: 2 },
        devices,
        mqtt: { url: broker.url, clientId: `signals-${process.pid}` },
        state: { dir: path.join(dir, 'state') },
        log: { level: 'info' },
        ...extra,
      }),
    );

  const start = (file: string): Running => {
    const child = spawn(process.execPath, [BIN, 'run', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b.toString('utf8')));
    child.stderr?.on('data', (b: Buffer) => out.push(b.toString('utf8')));
    const r: Running = {
      child,
      out,
      stopAt: 0,
      exited: new Promise((resolve) =>
        child.on('exit', (code) => resolve({ code, ms: Date.now() - r.stopAt })),
      ),
    };
    return r;
  };

  beforeAll(async () => {
    broker = await startBroker();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-signals-'));
    plugs = [
      new SimulatedPlug({ profile: 'hs110v4', alias: 'One' }),
      new SimulatedPlug({ profile: 'kp115', alias: 'Two' }),
    ];
    for (const p of plugs) await p.start();
    sub = await mqtt.connectAsync(broker.url, { clientId: `signals-sub-${process.pid}` });
    sub.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString('utf8') }));
    await sub.subscribeAsync('kasa/#', { qos: 1 });
  });

  afterEach(() => {
    running?.child.kill('SIGKILL');
    running = undefined;
  });

  afterAll(async () => {
    await sub?.endAsync();
    for (const p of plugs ?? []) await p.stop();
    await broker?.stop();
  });

  it('SIGHUP adds a device without a restart, rejects an invalid config, SIGTERM exits 0 fast', async () => {
    const file = path.join(dir, 'hup.json');
    await writeConfig(file, [{ host: '127.0.0.1', port: plugs[0]!.port, name: 'one' }]);
    running = start(file);
    await waitFor(() => seen.some((m) => m.topic === 'kasa/one'), 10_000, 'first reading of one');

    await writeConfig(file, [
      { host: '127.0.0.1', port: plugs[0]!.port, name: 'one' },
      { host: '127.0.0.1', port: plugs[1]!.port, name: 'two' },
    ]);
    running.child.kill('SIGHUP');
    await waitFor(
      () => seen.some((m) => m.topic === 'kasa/two'),
      10_000,
      'reading of the added device',
    );

    await writeFile(file, '{ "poll": { "interval": 0 } ');
    running.child.kill('SIGHUP');
    await waitFor(
      () => running!.out.join('').includes('config reload rejected'),
      5_000,
      'rejection log',
    );
    const before = seen.filter((m) => m.topic === 'kasa/two').length;
    await waitFor(
      () => seen.filter((m) => m.topic === 'kasa/two').length > before + 1,
      5_000,
      'still polling',
    );
    expect(running.out.join('')).toContain('hup.json');

    running.stopAt = Date.now();
    running.child.kill('SIGTERM');
    const { code, ms } = await running.exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    await waitFor(
      () => seen.some((m) => m.topic === 'kasa/bridge/state' && m.payload === 'offline'),
      3_000,
      'bridge offline',
    );
  }, 40_000);

  it('a second signal exits at once', async () => {
    const hung = new SimulatedPlug({ profile: 'hs110v4', alias: 'Hung' });
    await hung.start();
    await hung.setFault('hang', true);
    const file = path.join(dir, 'twice.json');
    // A reading left in the MQTT outbox and the broker unreachable, so stop() has to wait for
    // its flush bound (with nothing to deliver it would return at once).
    const state = path.join(dir, 'state-twice');
    await mkdir(state, { recursive: true });
    const entry = [{ topic: 'kasa/x', payload: '{"time":1700000000}', retain: true }];
    await writeFile(
      path.join(state, 'mqtt-outbox.json'),
      JSON.stringify({ version: 1, items: [entry] }),
    );
    await writeConfig(file, [{ host: '127.0.0.1', port: hung.port }], {
      mqtt: { url: 'mqtt://127.0.0.1:1', clientId: `signals-twice-${process.pid}` },
      state: { dir: state },
    });
    running = start(file);
    // The refused broker connection is reported after start() returned, so the service has its
    // signal handlers by then ("collector started" comes just before they are installed).
    await waitFor(() => running!.out.join('').includes('MQTT error'), 10_000, 'start');
    running.stopAt = Date.now();
    running.child.kill('SIGTERM');
    // The second signal must find the first being handled: wait until the service says so.
    await waitFor(() => running!.out.join('').includes('"msg":"stopping"'), 5_000, 'stopping');
    running.child.kill('SIGTERM');
    const { code, ms } = await running.exited;
    expect(code).toBe(1);
    expect(ms).toBeLessThan(1_000);
    expect(running.out.join('')).toContain('second signal');
    await hung.stop();
  }, 30_000);
});
