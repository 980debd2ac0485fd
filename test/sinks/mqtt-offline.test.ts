import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttConnect } from '../../src/sinks/mqtt.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import type { TestBroker } from '../fakes/broker.js';
import { freePort, startBroker } from '../fakes/broker.js';
import { captureLogger, makeReading, mqttConfig, subscribe, waitFor } from './helpers.js';

// The claim under test (MQTT.js docs, `_storePacket` in client.js): publishes made while the
// client is offline are kept in its outgoing store (QoS ≥ 1) and sent, in order, right after the
// next connect. The collector relies on it instead of buffering MQTT itself.
describe('MqttSink with the broker down at start', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  it('starts at once, queues QoS 1 messages, and delivers them in order with their original times', async () => {
    const port = await freePort();
    let client: MqttClient | undefined;
    const spy: MqttConnect = (url, opts) => (client = connect(url, opts));
    const sink = new MqttSink(mqttConfig(`mqtt://127.0.0.1:${port}`), captureLogger().log, spy);

    const t0 = Date.now();
    await sink.start();
    // No waiting for the broker (connectTimeout is 5 s); MQTT.js's first connect() call alone
    // spends a few hundred ms loading its protocol code.
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(sink.connected).toBe(false);

    const times = [1_700_000_000, 1_700_000_010, 1_700_000_020];
    times.forEach((time, i) => sink.write(makeReading({ time, values: { power: 10 + i } })));
    sink.availability(makeReading().device, true);

    // Bring the broker and a subscriber up right after a failed attempt, well inside the 2 s
    // before the sink's next one, so the subscriber is listening when the backlog arrives.
    // (not events.once: it rejects on the 'error' event that precedes each 'close')
    await new Promise<void>((resolve) => client?.once('close', () => resolve()));
    broker = await startBroker({ port });
    const sub = await subscribe(broker.url, 'kasa/#');

    await waitFor(
      () => sub.seen.some((m) => m.topic === 'kasa/fridge/availability'),
      8000,
      'backlog',
    );
    const states = sub.seen.filter((m) => m.topic === 'kasa/fridge');
    expect(states.map((m) => (JSON.parse(m.payload) as { time: number }).time)).toEqual(times);
    expect(sub.seen.filter((m) => m.topic === 'kasa/fridge/power').map((m) => m.payload)).toEqual([
      '10',
      '11',
      '12',
    ]);
    // The backlog goes first, then the connect announcements.
    const topics = sub.seen.map((m) => m.topic);
    expect(topics.lastIndexOf('kasa/fridge/power')).toBeLessThan(
      topics.indexOf('kasa/bridge/state'),
    );
    expect(topics.filter((t) => t === 'kasa/fridge/info')).toHaveLength(1);
    expect(sink.connected).toBe(true);

    await sink.stop();
    await sub.close();
  });
});
