/**
 * The broker's Receive Maximum bounds every QoS 1 publish of the sink, readings and "latest
 * wins" messages together, against a fake MQTT 5 broker that announces 5 and counts what is
 * unacknowledged (`../../fakes/flow-broker.ts`).
 */
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { mqttExtensions } from '../../../src/main.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import { systemClock } from '../../../src/clock.js';
import { FlowBroker } from '../../fakes/flow-broker.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { makeReading, mqttConfig } from '../helpers.js';

const RECEIVE_MAXIMUM = 5;
const DEVICES = 200;

/** Device `i` of the fleet, with a MAC of its own (HA discovery ids come from it). */
function reading(i: number, power: number): ReturnType<typeof makeReading> {
  const hex = (n: number): string => n.toString(16).padStart(2, '0').toUpperCase();
  const base = makeReading();
  return makeReading({
    device: { name: `plug_${i}`, host: `10.0.${i >> 8}.${i & 255}` },
    identity: { ...base.identity, mac: `50:C7:BF:00:${hex(i >> 8)}:${hex(i & 255)}` },
    values: { power, energy: 1, voltage: 230, current: 0.1, state: 'ON' },
  });
}

describe('MQTT sink within the broker Receive Maximum', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('is needed: MQTT.js alone sends QoS 1 publishes past the Receive Maximum', async () => {
    const broker = await FlowBroker.start(RECEIVE_MAXIMUM);
    stops.push(() => broker.stop());
    const client = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    stops.push(() => client.endAsync(true));
    // MQTT.js read the limit (it keeps the CONNACK's properties) but does not hold back for it.
    for (let i = 0; i < 2 * RECEIVE_MAXIMUM; i++) client.publish(`t/${i}`, 'x', { qos: 1 });
    await waitFor(() => broker.violations > 0, 5000, 'the broker to count a violation');
    expect(broker.peakUnacked).toBeGreaterThan(RECEIVE_MAXIMUM);
  });

  it('keeps discovery, info, availability and readings of 200 devices within 5 in flight', async () => {
    const broker = await FlowBroker.start(RECEIVE_MAXIMUM);
    stops.push(() => broker.stop());
    broker.hold();
    const config = mqttConfig(broker.url);
    const log = memoryLogger();
    const sink = new MqttSink(config, {
      log: log.log,
      clock: systemClock,
      extensions: mqttExtensions(config, {
        homeassistant: { enabled: true, prefix: 'homeassistant' },
        version: '1.0.0',
      }),
    });
    stops.push(() => sink.stop());
    await sink.start();
    await waitFor(() => broker.connectSeen, 5000, 'the CONNECT');

    // Known before the connection comes up: all of it goes out on connect.
    for (let i = 0; i < DEVICES; i++) {
      const r = reading(i, i);
      sink.availability(r.device, true);
      sink.write(r);
    }
    broker.release();
    await waitFor(() => sink.connected, 5000, 'connect');
    // More readings while the connect burst is still going out.
    for (let i = 0; i < DEVICES; i++) sink.write(reading(i, 1000 + i));
    const online = (): boolean =>
      broker.received.some((m) => m.topic === 'kasa/bridge/state' && m.payload === 'online');
    await waitFor(() => sink.sent === 2 * DEVICES && online(), 20_000, 'everything delivered');

    expect(broker.violations).toBe(0);
    expect(broker.peakUnacked).toBe(RECEIVE_MAXIMUM);
    const got = broker.received;
    const topics = new Set(got.map((m) => m.topic));
    for (let i = 0; i < DEVICES; i++) {
      expect(topics.has(`kasa/plug_${i}/info`)).toBe(true);
      expect(topics.has(`kasa/plug_${i}/availability`)).toBe(true);
      const powers = got
        .filter((m) => m.topic === `kasa/plug_${i}`)
        .map((m) => (JSON.parse(m.payload) as { power: number }).power);
      expect(powers).toEqual([i, 1000 + i]);
    }
    const discovery = [...topics].filter(
      (t) => t.startsWith('homeassistant/') && t.endsWith('/config'),
    );
    expect(discovery).toHaveLength(DEVICES);
    // Readings did not wait for the whole connect burst: they alternate with it.
    const firstReading = got.findIndex((m) => /^kasa\/plug_\d+$/.test(m.topic));
    const lastState =
      got.length - 1 - [...got].reverse().findIndex((m) => m.topic.endsWith('/config'));
    expect(firstReading).toBeLessThan(3 * RECEIVE_MAXIMUM);
    expect(firstReading).toBeLessThan(lastState);

    // Stop still says `offline` within its bound, after the rest.
    await sink.stop();
    const states = got.filter((m) => m.topic === 'kasa/bridge/state').map((m) => m.payload);
    expect(states.at(-1)).toBe('offline');
    expect(broker.peakUnacked).toBe(RECEIVE_MAXIMUM);
    expect(log.lines.some((l) => l['msg'] === 'MQTT flush timed out; closing anyway')).toBe(false);
  });

  it('stops mid-burst within its bound: the readings, then offline ahead of what waits', async () => {
    const broker = await FlowBroker.start(RECEIVE_MAXIMUM);
    stops.push(() => broker.stop());
    broker.hold();
    const config = mqttConfig(broker.url);
    const log = memoryLogger();
    const sink = new MqttSink(config, {
      log: log.log,
      clock: systemClock,
      extensions: mqttExtensions(config, {
        homeassistant: { enabled: true, prefix: 'homeassistant' },
        version: '1.0.0',
      }),
    });
    await sink.start();
    await waitFor(() => broker.connectSeen, 5000, 'the CONNECT');
    for (let i = 0; i < DEVICES; i++) {
      const r = reading(i, i);
      sink.availability(r.device, true);
      sink.write(r);
    }
    broker.release();
    await waitFor(() => sink.connected, 5000, 'connect');
    await sink.stop();
    expect(sink.sent).toBe(DEVICES);
    expect(log.lines.some((l) => l['msg'] === 'MQTT flush timed out; closing anyway')).toBe(false);
    const got = broker.received;
    expect(got.at(-1)).toMatchObject({ topic: 'kasa/bridge/state', payload: 'offline' });
    // Not all of the connect burst went out: the rest was dropped for the offline.
    expect(got.filter((m) => m.topic.endsWith('/config')).length).toBeLessThan(DEVICES);
    expect(broker.violations).toBe(0);
    expect(broker.peakUnacked).toBeLessThanOrEqual(RECEIVE_MAXIMUM);
  });

  it('stays within 5 in flight when the connection drops mid-burst, and loses nothing', async () => {
    const broker = await FlowBroker.start(RECEIVE_MAXIMUM);
    stops.push(() => broker.stop());
    broker.dropAt = 300;
    const config = mqttConfig(broker.url);
    const sink = new MqttSink(config, {
      log: memoryLogger().log,
      clock: systemClock,
      extensions: mqttExtensions(config, {
        homeassistant: { enabled: true, prefix: 'homeassistant' },
        version: '1.0.0',
      }),
    });
    stops.push(() => sink.stop());
    await sink.start();
    await waitFor(() => sink.connected, 5000, 'connect');
    for (let i = 0; i < DEVICES; i++) {
      const r = reading(i, i);
      sink.availability(r.device, true);
      sink.write(r);
    }
    await waitFor(() => broker.received.length > 300, 5000, 'the drop');
    // MQTT.js reconnects after its 2 s period and re-sends what was in flight.
    await waitFor(() => sink.sent === DEVICES, 10_000, 'every reading acknowledged');
    // The first connection dropped before its `online`, which comes after everything else.
    const online = (): boolean =>
      broker.received.some((m) => m.topic === 'kasa/bridge/state' && m.payload === 'online');
    await waitFor(online, 5000, 'bridge/state online after the reconnect');
    expect(broker.received.filter((m) => m.topic === 'kasa/bridge/sync')).toHaveLength(2);
    expect(broker.violations).toBe(0);
    expect(broker.peakUnacked).toBeLessThanOrEqual(RECEIVE_MAXIMUM);
    const topics = new Set(broker.received.map((m) => m.topic));
    for (let i = 0; i < DEVICES; i++) {
      for (const t of [`kasa/plug_${i}`, `kasa/plug_${i}/info`, `kasa/plug_${i}/availability`])
        expect(topics.has(t)).toBe(true);
    }
  }, 20_000);
});
