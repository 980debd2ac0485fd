import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttConnect } from '../../../src/sinks/mqtt/sink.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import { sinkClientOptions } from '../../../src/sinks/mqtt/options.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

/** Counts the socket writes (`_write` and `_writev` calls) of a client's stream. */
function countWrites(client: MqttClient): { readonly count: number } {
  const stream = client.stream as unknown as Record<string, (...a: unknown[]) => unknown>;
  const counter = { count: 0 };
  for (const name of ['_write', '_writev']) {
    const original = stream[name];
    if (typeof original !== 'function') continue;
    stream[name] = function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    };
  }
  return counter;
}

describe('MqttSink batching', () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await broker.stop();
  });

  it('sends the publishes of one turn of the event loop in one socket write, in order', async () => {
    let client: MqttClient | undefined;
    const spy: MqttConnect = (url, opts) => (client = connect(url, opts));
    const sub = await subscribe(broker.url, 'kasa/+');
    const bridge = await subscribe(broker.url, 'kasa/bridge/state');
    const sink = new MqttSink(mqttConfig(broker.url), {
      log: memoryLogger().log,
      clock: systemClock,
      connect: spy,
    });
    await sink.start();
    await waitFor(() => sink.connected, 5000, 'connect');
    // The connect burst ends with `bridge/state` `online`, after the availability sweep's round
    // trips (subscribe, sync echo): counted from here, no write of it can fall in the count.
    await waitFor(
      () => bridge.seen.some((m) => m.payload === 'online'),
      5000,
      'bridge/state online',
    );
    await bridge.close();
    await new Promise((r) => setImmediate(r));
    const writes = countWrites(client as MqttClient);

    // 8 readings (one JSON message each) and the 8 devices' `info`: 16 QoS 1 publishes, within
    // mosquitto's Receive Maximum of 20 which they share, each written after an await as poll
    // results are: MQTT.js alone would write each one on its next tick.
    const N = 8;
    const turn = (async () => {
      for (let i = 0; i < N; i++) {
        sink.write(makeReading({ device: { name: `plug_${i}` }, values: { power: i } }));
        await new Promise<void>((r) => process.nextTick(r));
      }
    })();
    await turn;
    expect(writes.count).toBe(0); // corked until the end of the turn
    await waitFor(() => sub.seen.length === N, 5000, `${N} readings`);
    expect(writes.count).toBe(1);
    expect(sub.seen.map((m) => (JSON.parse(m.payload) as { power: number }).power)).toEqual(
      Array.from({ length: N }, (_, i) => i),
    );
    await waitFor(() => sink.queued === 0, 5000, 'acknowledgements');
    expect(sink.sent).toBe(N);
    await sink.stop();
    await sub.close();
  });
});

describe('sinkClientOptions', () => {
  const will = { topic: 'kasa/bridge/state', payload: 'offline' };

  it('keeps MQTT.js from rescheduling its ping per packet and silences its debug logger', () => {
    const options = sinkClientOptions(mqttConfig('mqtt://b'), will, undefined, {});
    expect(options.reschedulePings).toBe(false);
    expect(typeof options.log).toBe('function');
    expect(options).toMatchObject({ clean: true, queueQoSZero: false, reconnectPeriod: 2000 });
  });

  it("speaks MQTT 5 and turns off mqtt-packet's table of 65,536 number buffers", () => {
    const options = sinkClientOptions(mqttConfig('mqtt://b'), will, undefined, {});
    expect(options).toMatchObject({ protocolVersion: 5, writeCache: false });
  });

  it("leaves MQTT.js's debug logger alone when DEBUG is set (someone is tracing it)", () => {
    const options = sinkClientOptions(mqttConfig('mqtt://b'), will, undefined, {
      DEBUG: 'mqttjs*',
    });
    expect(options).not.toHaveProperty('log');
  });
});
