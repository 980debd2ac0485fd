import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttConfig } from '../../../src/config/types.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import type { MqttSinkDeps } from '../../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, subscribe, type Seen } from '../helpers.js';
import { TcpGate, fastConnect, stateTimes, tempStateDir } from './gate.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

const T0 = 1_700_000_000;
/** Reading `i` of a plug polled every 10 s: `time` T0 + 10 i, power i W. */
const reading = (i: number): ReturnType<typeof makeReading> =>
  makeReading({ time: T0 + 10 * i, values: { power: i, state: 'ON' } });
const times = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, k) => T0 + 10 * (from + k));

// The sink reaches the broker through a TcpGate: closed = the broker is unreachable. The test
// brings the broker and its subscriber up first, then opens the gate, so nothing is missed.
describe('MqttSink through broker outages (outbox in the state dir)', () => {
  let broker: TestBroker | undefined;
  let brokerPort = 0;
  let gate: TcpGate;
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  const cleanup: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    state = await tempStateDir();
    gate = new TcpGate(() => brokerPort);
    await gate.open(); // reserve its port ...
    await gate.close(); // ... and refuse: the broker is down
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
    await gate.close();
    await broker?.stop();
    broker = undefined;
    await state.remove();
  });

  /** A started sink behind the gate (or on `url`), retrying every 50 ms; stopped after the test. */
  async function sinkVia(
    over: Partial<MqttConfig> = {},
    opts: Partial<MqttSinkDeps> = {},
    url = `mqtt://127.0.0.1:${gate.port}`,
  ): Promise<{ sink: MqttSink; log: ReturnType<typeof memoryLogger>; refused(): Promise<void> }> {
    const fast = fastConnect();
    const log = memoryLogger();
    const sink = new MqttSink(mqttConfig(url, { output: 'json_and_attributes', ...over }), {
      log: log.log,
      clock: systemClock,
      connect: fast.connect,
      stateDir: state.dir,
      ...opts,
    });
    cleanup.push(() => sink.stop());
    await sink.start();
    return { sink, log, refused: () => fast.closed() };
  }

  /** Starts the broker (on `port`: a restart) and a subscriber to `kasa/#`, then opens the gate. */
  async function brokerUp(port?: number): Promise<Awaited<ReturnType<typeof subscribe>>> {
    broker = await startBroker(port === undefined ? {} : { port });
    brokerPort = broker.port;
    const sub = await subscribe(broker.url, 'kasa/#');
    cleanup.push(sub.close);
    await gate.open();
    return sub;
  }

  /** The network goes and the broker stops (losing its retained messages: no persistence). */
  async function outage(): Promise<void> {
    await gate.close();
    await broker?.stop();
    broker = undefined;
  }

  it('broker down at start: starts at once; 20 readings arrive in order with their times', async () => {
    const t0 = Date.now();
    const { sink, refused } = await sinkVia();
    expect(Date.now() - t0).toBeLessThan(2000);
    for (let i = 0; i < 20; i++) sink.write(reading(i));
    sink.availability(reading(0).device, true);
    await refused();
    expect(sink.connected).toBe(false);
    expect(sink.queued).toBe(20);

    const sub = await brokerUp();
    const power = (): string[] =>
      sub.seen.filter((m) => m.topic === 'kasa/fridge/power').map((m) => m.payload);
    // A reading's per-field values follow its state JSON: wait for the last of them too.
    await waitFor(
      () => stateTimes(sub.seen).length === 20 && power().length === 20,
      5000,
      '20 readings',
    );
    expect(stateTimes(sub.seen)).toEqual(times(0, 20));
    expect(power()).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // The latest-wins announcements go first, once; then the readings; `bridge/state` once the
    // availability an earlier run may have left is swept.
    const topics = sub.seen.map((m) => m.topic);
    expect(topics.slice(0, 2)).toEqual(['kasa/fridge/info', 'kasa/fridge/availability']);
    const bridge = (): Seen[] => sub.seen.filter((m) => m.topic === 'kasa/bridge/state');
    await waitFor(() => bridge().length > 0, 5000, 'bridge online');
    expect(bridge()).toEqual([{ topic: 'kasa/bridge/state', payload: 'online', retain: false }]);
    expect(topics.filter((t) => t === 'kasa/fridge/info')).toHaveLength(1);
    await waitFor(() => sink.queued === 0, 5000, 'outbox emptied');
    expect(sink.sent).toBe(20);
  });

  it('an hour-long outage: 360 readings (10 s interval) all arrive, in order', async () => {
    const { sink, refused } = await sinkVia();
    for (let i = 0; i < 360; i++) sink.write(reading(i));
    await refused();
    const sub = await brokerUp();
    await waitFor(() => stateTimes(sub.seen).length >= 360, 10_000, '360 readings');
    expect(stateTimes(sub.seen)).toEqual(times(0, 360));
    await waitFor(() => sink.queued === 0, 5000, 'outbox emptied');
  });

  it('broker restarted mid-run: readings before, during and after all arrive, no gap, no duplicate', async () => {
    const before = await brokerUp();
    const port = brokerPort;
    const { sink, log } = await sinkVia();
    await waitFor(() => sink.connected, 5000, 'connect');
    for (let i = 0; i < 5; i++) sink.write(reading(i));
    await waitFor(() => sink.queued === 0, 5000, 'first 5 acknowledged');

    await outage();
    await waitFor(() => !sink.connected, 5000, 'disconnect');
    for (let i = 5; i < 10; i++) sink.write(reading(i));
    expect(sink.queued).toBe(5);

    const after = await brokerUp(port);
    await waitFor(() => sink.connected, 5000, 'reconnect');
    for (let i = 10; i < 15; i++) sink.write(reading(i));
    await waitFor(() => stateTimes(after.seen).length >= 10, 5000, '10 readings after');
    expect(stateTimes(before.seen)).toEqual(times(0, 5));
    // Nothing was in flight at the outage, so nothing is sent twice.
    expect(stateTimes(after.seen)).toEqual(times(5, 15));
    expect(log.lines.filter((l) => l.msg === 'connected to MQTT broker')).toHaveLength(2);
  });

  it('broker killed with readings in flight: every reading arrives, in order, none twice', async () => {
    const before = await brokerUp();
    const port = brokerPort;
    const { sink } = await sinkVia();
    await waitFor(() => sink.connected, 5000, 'connect');
    for (let i = 0; i < 200; i++) sink.write(reading(i));
    await outage(); // while publishes and acks are on the wire
    await waitFor(() => !sink.connected, 5000, 'disconnect');
    const inFlight = sink.queued;
    const after = await brokerUp(port);
    await waitFor(() => sink.queued === 0, 10_000, 'outbox emptied');
    await waitFor(() => stateTimes(after.seen).at(-1) === T0 + 1990, 5000, 'last reading');
    const a = stateTimes(before.seen);
    const b = stateTimes(after.seen);
    expect(inFlight).toBeGreaterThan(0);
    expect(new Set([...a, ...b])).toEqual(new Set(times(0, 200))); // no gap
    expect(b).toEqual([...new Set(b)].sort((x, y) => x - y)); // in order, none twice after
  });

  it('collector restart: what sink A could not deliver is persisted by stop() and sent by sink B', async () => {
    const a = await sinkVia({}, { stopTimeoutMs: 200 });
    for (let i = 0; i < 10; i++) a.sink.write(reading(i));
    await a.sink.stop();
    const file = path.join(state.dir, 'mqtt-outbox.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { version: number; items: unknown[] };
    expect(saved.version).toBe(1);
    expect(saved.items).toHaveLength(10);

    const sub = await brokerUp();
    const b = await sinkVia();
    expect(b.log.lines.find((l) => l.msg.startsWith('restored'))).toMatchObject({
      msg: `restored 10 readings from ${file}`,
      restored: 10,
    });
    b.sink.write(reading(10));
    await waitFor(() => stateTimes(sub.seen).length === 11, 5000, '11 readings');
    expect(stateTimes(sub.seen)).toEqual(times(0, 11));
    await b.sink.stop();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, delivered: 0, items: [] });
  });

  it('overflow: maxReadings 5, 12 written while down: the newest 5 arrive, 7 dropped and told', async () => {
    const outbox = { maxReadings: 5, maxBytes: 1 << 20 };
    const { sink, log, refused } = await sinkVia({ outbox });
    for (let i = 0; i < 12; i++) sink.write(reading(i));
    expect(sink.queued).toBe(5);
    expect(sink.dropped).toBe(7);
    const warns = (): string[] => log.lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warns().filter((m) => m.startsWith('MQTT outbox full'))).toHaveLength(1);

    await refused();
    const sub = await brokerUp();
    await waitFor(() => stateTimes(sub.seen).length === 5, 5000, '5 readings');
    expect(stateTimes(sub.seen)).toEqual(times(7, 12));
    await waitFor(() => sink.queued === 0, 5000, 'outbox emptied');
    expect(log.lines.find((l) => l.msg.startsWith('MQTT outbox overflow ended'))).toMatchObject({
      level: 40,
      dropped: 7,
      msg: 'MQTT outbox overflow ended: 7 readings were dropped',
    });
    expect(existsSync(path.join(state.dir, 'mqtt-outbox.json.tmp'))).toBe(false);
  });

  it('qos 0: the outbox still carries readings across an outage', async () => {
    const { sink, refused } = await sinkVia({ qos: 0 });
    for (let i = 0; i < 5; i++) sink.write(reading(i));
    await refused();
    const sub = await brokerUp();
    // The plain per-field values: aedes (the fallback test broker) does not forward retained
    // QoS 0 publishes to live subscribers; mosquitto does.
    const power = (): string[] =>
      sub.seen.filter((m) => m.topic === 'kasa/fridge/power').map((m) => m.payload);
    await waitFor(() => power().length === 5, 5000, '5 readings');
    expect(power()).toEqual(['0', '1', '2', '3', '4']);
    expect(sink.queued).toBe(0);
  });
});
