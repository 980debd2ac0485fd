import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import { QOS2_WINDOW } from '../../../src/sinks/mqtt/outbox-store.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

/**
 * QoS 2 against a broker as installed: mosquitto's default `max_inflight_messages` is 20, and it
 * does not take more QoS 2 publishes in flight from a client. With the QoS 1 window (64
 * readings, up to 512 messages) the sink lost readings in a burst (acknowledged, never
 * delivered) and, under a steady load, was disconnected again and again. (Against the embedded broker, used when mosquitto is not installed, there is no such
 * limit and this only checks delivery.)
 */
describe('MqttSink at QoS 2', () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await broker.stop();
  });

  it('keeps at most 20 QoS 2 messages in flight: a burst of 100 devices is delivered, all of it, without a disconnect', async () => {
    expect(QOS2_WINDOW).toBeLessThanOrEqual(20);
    const sub = await subscribe(broker.url, 'kasa/+');
    const log = memoryLogger();
    const sink = new MqttSink(mqttConfig(broker.url, { qos: 2, output: 'json_and_attributes' }), {
      log: log.log,
      clock: systemClock,
    });
    await sink.start();
    await waitFor(() => sink.connected, 5000, 'connect');
    // One tick of N devices: N readings of 5 messages plus N info and N availability messages.
    const N = 100;
    for (let i = 0; i < N; i++) {
      const device = { name: `plug_${i}` };
      sink.availability({ ...makeReading({ device }).device }, true);
      sink.write(makeReading({ device, values: { power: i, energy: 1, voltage: 230, rssi: -50 } }));
    }
    await waitFor(() => sink.sent === N, 20_000, `${N} readings acknowledged`);
    await waitFor(() => sub.seen.length === N, 5000, `${N} states delivered`);
    expect(sub.seen.map((m) => JSON.parse(m.payload).power).sort((a, b) => a - b)).toEqual(
      Array.from({ length: N }, (_, i) => i),
    );
    const trouble = log.lines.filter((l) => /disconnected|error/i.test(String(l['msg'])));
    expect(trouble).toEqual([]);
    await sink.stop();
    await sub.close();
  }, 30_000);
});
