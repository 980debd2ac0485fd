import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttExtensions } from '../../../src/main.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import { startBroker, type TestBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, retainedUnder, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

describe('MqttSink with mqtt.format "tasmota" against a real broker', () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('publishes tele/<name>/SENSOR, STATE and a retained LWT, and no default-layout readings', async () => {
    const sub = await subscribe(broker.url, '#');
    const { log, lines } = memoryLogger();
    const config = mqttConfig(broker.url, { format: 'tasmota' });
    const extensions = mqttExtensions(config, {
      homeassistant: { enabled: true, prefix: 'homeassistant' },
    });
    const sink = new MqttSink(config, { log, clock: systemClock, extensions });
    await sink.start();
    sink.availability(makeReading().device, true);
    sink.write(makeReading({ time: 1_700_000_010 }));
    await waitFor(() => sub.seen.some((m) => m.topic === 'tele/fridge/STATE'), 5000, 'STATE');
    await sink.stop();
    await sub.close();

    const sensor = sub.seen.find((m) => m.topic === 'tele/fridge/SENSOR');
    expect(JSON.parse(sensor!.payload)).toEqual({
      Time: '2023-11-14T22:13:30Z',
      ENERGY: { Total: 1.234, Power: 12.5, Voltage: 230.1, Current: 0.123 },
    });
    const topics = sub.seen.map((m) => m.topic);
    expect(topics).not.toContain('kasa/fridge');
    expect(topics.some((t) => t.startsWith('homeassistant/'))).toBe(false);
    expect(lines.some((l) => l.msg.includes('not published with mqtt.format "tasmota"'))).toBe(
      true,
    );
    const lwt = await retainedUnder(broker.url, 'tele/+/LWT');
    expect(lwt).toEqual([{ topic: 'tele/fridge/LWT', payload: 'Online', retain: true }]);
  });
});
