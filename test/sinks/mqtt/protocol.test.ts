import { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import { MAX_WINDOW, inFlightWindow, readingsWindow } from '../../../src/sinks/mqtt/protocol.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { nextLoopTurn, waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

describe('inFlightWindow', () => {
  it("is the CONNACK's Receive Maximum on MQTT 5, 65,535 when absent, capped; else the fallback", () => {
    expect(inFlightWindow({ properties: { receiveMaximum: 20 } }, 5, 512)).toBe(20);
    expect(inFlightWindow({ properties: {} }, 5, 512)).toBe(MAX_WINDOW);
    expect(inFlightWindow({ properties: { receiveMaximum: 65_535 } }, 5, 512)).toBe(MAX_WINDOW);
    expect(inFlightWindow({ properties: { receiveMaximum: 0 } }, 5, 512)).toBe(MAX_WINDOW);
    expect(inFlightWindow(undefined, 5, 512)).toBe(MAX_WINDOW);
    expect(inFlightWindow({ properties: { receiveMaximum: 20 } }, 4, 512)).toBe(512);
  });

  it("is per QoS: the broker's at 1 and 2, 512 and 16 over 3.1.1, 512 at QoS 0", () => {
    const connack = { properties: { receiveMaximum: 20 } };
    expect([1, 2].map((q) => readingsWindow(q as 1 | 2, connack, 5))).toEqual([20, 20]);
    expect([0, 1, 2].map((q) => readingsWindow(q as 0 | 1 | 2, connack, 4))).toEqual([
      512, 512, 16,
    ]);
    expect(readingsWindow(0, connack, 5)).toBe(512);
  });
});

describe('MqttSink protocol version', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  /** A sink on `broker` with one reading written; resolves once it is acknowledged. */
  async function deliver(broker: TestBroker): Promise<ReturnType<typeof memoryLogger>> {
    const sub = await subscribe(broker.url, 'kasa/+');
    stops.push(sub.close);
    const log = memoryLogger();
    const sink = new MqttSink(mqttConfig(broker.url), { log: log.log, clock: systemClock });
    stops.push(() => sink.stop());
    await sink.start();
    sink.write(makeReading());
    // Well within MQTT.js's 2 s reconnect period: a refused MQTT 5 is retried at once.
    await waitFor(() => sink.connected, 1500, 'connect');
    await waitFor(() => sub.seen.length === 1, 5000, 'the reading delivered');
    return log;
  }

  it('speaks MQTT 5 to mosquitto and sizes the window from its Receive Maximum (20)', async (ctx) => {
    const broker = await startBroker();
    stops.push(() => broker.stop());
    if (broker.kind !== 'mosquitto') ctx.skip();
    const log = await deliver(broker);
    const connected = log.lines.find((l) => l['msg'] === 'connected to MQTT broker');
    expect(connected).toMatchObject({ mqtt: '5', window: 20 });
  });

  it('falls back to MQTT 3.1.1 at once when the broker refuses MQTT 5 (the embedded broker)', async () => {
    const before = process.env['KASA_TEST_BROKER'];
    process.env['KASA_TEST_BROKER'] = 'aedes';
    let broker: TestBroker;
    try {
      broker = await startBroker();
    } finally {
      if (before === undefined) delete process.env['KASA_TEST_BROKER'];
      else process.env['KASA_TEST_BROKER'] = before;
    }
    stops.push(() => broker.stop());
    const log = await deliver(broker);
    const connected = log.lines.find((l) => l['msg'] === 'connected to MQTT broker');
    expect(connected).toMatchObject({ mqtt: '3.1.1', window: 512 });
    expect(log.lines.map((l) => l['msg'])).toContain(
      'the MQTT broker does not speak MQTT 5; connecting with MQTT 3.1.1',
    );
    expect(log.lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });

  it('leaves no reconnect armed after the fallback: the 3.1.1 connection outlives the reconnect period', async () => {
    // MQTT.js arms its reconnect interval when the refused connection's socket closes; a
    // fallback that reconnected before that close left it armed, and two seconds later it tore
    // the new connection down (the demo's embedded broker, which speaks 3.1.1 only).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const reconnects = vi.spyOn(
      MqttClient.prototype as unknown as { _reconnect(): void },
      '_reconnect',
    );
    const before = process.env['KASA_TEST_BROKER'];
    process.env['KASA_TEST_BROKER'] = 'aedes';
    try {
      const broker = await startBroker();
      stops.push(() => broker.stop());
      const log = await deliver(broker);
      expect(reconnects).toHaveBeenCalledTimes(1); // the fallback's own
      vi.advanceTimersByTime(2_500); // past MQTT.js's reconnect period (2 s)
      await nextLoopTurn();
      expect(reconnects).toHaveBeenCalledTimes(1);
      expect(log.lines.map((l) => l['msg'])).not.toContain(
        'disconnected from MQTT broker; retrying every 2 s',
      );
    } finally {
      if (before === undefined) delete process.env['KASA_TEST_BROKER'];
      else process.env['KASA_TEST_BROKER'] = before;
      reconnects.mockRestore();
      vi.useRealTimers();
    }
  });
});
