import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import { startBroker, type TestBroker } from '../../fakes/broker.js';
import { FailingFs } from '../../fakes/failing-fs.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { makeReading, mqttConfig, subscribe } from '../helpers.js';
import { TcpGate, fastConnect, stateTimes, tempStateDir } from './gate.js';

const T0 = 1_700_000_000;
const reading = (i: number): ReturnType<typeof makeReading> =>
  makeReading({ time: T0 + 10 * i, values: { power: i, state: 'ON' } });

/**
 * The outage scenario with a state.dir that turns read-only: a backlog written while the broker
 * was down, delivered once it is back, is not published again by the next start (the retained
 * state would go back in time).
 */
describe('MqttSink with a state.dir that cannot be written', () => {
  const cleanup: (() => Promise<void>)[] = [];
  let broker: TestBroker | undefined;
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
    await broker?.stop();
    broker = undefined;
  });

  it('a delivered backlog is not published again after a restart', async () => {
    const state = await tempStateDir();
    cleanup.push(state.remove);
    const file = path.join(state.dir, 'mqtt-outbox.json');
    let brokerPort = 0;
    const gate = new TcpGate(() => brokerPort);
    await gate.open();
    await gate.close();
    cleanup.push(() => gate.close());
    const fs = new FailingFs();
    const a = memoryLogger();
    const sinkA = new MqttSink(mqttConfig(`mqtt://127.0.0.1:${gate.port}`), {
      log: a.log,
      clock: systemClock,
      connect: fastConnect().connect,
      stateDir: state.dir,
      persistMs: 20,
      fs,
    });
    cleanup.push(() => sinkA.stop());
    await sinkA.start();
    for (let i = 0; i < 27; i++) sinkA.write(reading(i));
    const saved = (): { delivered: number; items: unknown[] } =>
      JSON.parse(readFileSync(file, 'utf8')) as { delivered: number; items: unknown[] };
    await waitFor(
      () => {
        try {
          return saved().items.length === 27;
        } catch {
          return false;
        }
      },
      5000,
      'the backlog on disk',
    );

    fs.mode = 'read-only-dir';
    broker = await startBroker();
    brokerPort = broker.port;
    const sub = await subscribe(broker.url, 'kasa/#');
    cleanup.push(sub.close);
    await gate.open();
    await waitFor(() => stateTimes(sub.seen).length === 27, 5000, '27 readings delivered');
    await waitFor(() => saved().delivered === 27, 5000, 'deliveries recorded in place');
    await sinkA.stop();
    expect(a.lines.filter((l) => l.level >= 50)).toHaveLength(1);
    expect(readdirSync(state.dir)).toEqual(['mqtt-outbox.json']);

    const b = memoryLogger();
    const sinkB = new MqttSink(mqttConfig(broker.url), {
      log: b.log,
      clock: systemClock,
      stateDir: state.dir,
      persistMs: 20,
      fs,
    });
    cleanup.push(() => sinkB.stop());
    await sinkB.start();
    await waitFor(() => sinkB.connected, 5000, 'sink B connected');
    sinkB.write(reading(27));
    await waitFor(() => stateTimes(sub.seen).length >= 28, 5000, 'the new reading');
    await sinkB.stop();
    expect(stateTimes(sub.seen)).toEqual(Array.from({ length: 28 }, (_, i) => T0 + 10 * i));
    expect(b.lines.some((l) => l.msg.startsWith('restored'))).toBe(false);
  });
});
