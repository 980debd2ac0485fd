import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../../fakes/broker.js';
import { freePort, startBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, retainedUnder, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

describe('MqttSink stop', () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await broker.stop();
  });

  it('publishes retained bridge/state offline on a clean stop; stop is idempotent', async () => {
    const sub = await subscribe(broker.url, 'kasa/bridge/state');
    const sink = new MqttSink(mqttConfig(broker.url, { output: 'json_and_attributes' }), {
      log: memoryLogger().log,
      clock: systemClock,
    });
    await sink.start();
    await waitFor(() => sub.seen.length === 1, 5000, 'online');
    await Promise.all([sink.stop(), sink.stop()]);
    await sink.stop();
    await waitFor(() => sub.seen.length === 2, 5000, 'offline');
    expect(sub.seen.map((m) => m.payload)).toEqual(['online', 'offline']);
    expect(sink.connected).toBe(false);
    await sub.close();
    expect(await retainedUnder(broker.url, 'kasa/bridge/#')).toEqual([
      { topic: 'kasa/bridge/state', payload: 'offline', retain: true },
    ]);
  });

  it('delivers what was written before stop (QoS 1) before disconnecting', async () => {
    const sub = await subscribe(broker.url, 'kasa/fridge/power');
    const sink = new MqttSink(mqttConfig(broker.url, { output: 'json_and_attributes' }), {
      log: memoryLogger().log,
      clock: systemClock,
    });
    await sink.start();
    await waitFor(() => sink.connected, 5000, 'connect');
    for (let i = 0; i < 50; i++)
      sink.write(makeReading({ time: 1_700_000_000 + i, values: { power: i } }));
    await sink.stop();
    await waitFor(() => sub.seen.length === 50, 5000, '50 messages');
    expect(sub.seen.map((m) => Number(m.payload))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await sub.close();
  });

  it('ignores writes after stop and resolves stop of a sink never started', async () => {
    const never = new MqttSink(mqttConfig(broker.url, { output: 'json_and_attributes' }), {
      log: memoryLogger().log,
      clock: systemClock,
    });
    await never.stop();
    expect(() => never.write(makeReading())).not.toThrow();
  });

  it('gives up within its bound when the broker is down', async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const { log, lines } = memoryLogger();
    const sink = new MqttSink(mqttConfig(url), { log, clock: systemClock, stopTimeoutMs: 300 });
    await sink.start();
    sink.write(makeReading());
    const t0 = Date.now();
    await sink.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(lines.some((l) => l.msg === 'MQTT flush timed out; closing anyway')).toBe(true);
  });
});
