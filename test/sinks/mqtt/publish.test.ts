import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, retainedUnder, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

const INFO =
  '{"alias":"Fridge","model":"HS110(EU)","hw_ver":"2.0","sw_ver":"1.5.10","mac":"50:C7:BF:00:00:01",' +
  `"deviceId":"8006${'0'.repeat(36)}","host":"10.0.0.5","port":9999,"node":5}`;

describe('MqttSink publishing against a real broker', () => {
  let broker: TestBroker;
  let sink: MqttSink | undefined;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
    for (const close of closers.splice(0)) await close();
    await broker.stop();
  });

  it('publishes exact topics and payloads, info once, availability (json_and_attributes)', async () => {
    const sub = await subscribe(broker.url, 'kasa/#');
    closers.push(sub.close);
    sink = new MqttSink(mqttConfig(broker.url, { output: 'json_and_attributes' }), {
      log: memoryLogger().log,
      clock: systemClock,
    });
    await sink.start();
    await waitFor(() => sub.seen.length === 1, 5000, 'bridge online');

    const first = makeReading();
    const second = makeReading({
      time: 1_700_000_010,
      values: { power: 13, energy: 1.235, state: 'OFF' },
    });
    sink.write(first);
    sink.write(second);
    sink.availability(first.device, true);
    await waitFor(() => sub.seen.length >= 14, 5000, '14 messages');

    expect(sub.seen.map((m) => [m.topic, m.payload])).toEqual([
      ['kasa/bridge/state', 'online'],
      [
        'kasa/fridge',
        '{"time":1700000000,"power":12.5,"energy":1.234,"voltage":230.1,"current":0.123,"state":"ON","rssi":-60}',
      ],
      ['kasa/fridge/power', '12.5'],
      ['kasa/fridge/energy', '1.234'],
      ['kasa/fridge/voltage', '230.1'],
      ['kasa/fridge/current', '0.123'],
      ['kasa/fridge/state', 'ON'],
      ['kasa/fridge/rssi', '-60'],
      ['kasa/fridge/info', INFO],
      ['kasa/fridge', '{"time":1700000010,"power":13,"energy":1.235,"state":"OFF"}'],
      ['kasa/fridge/power', '13'],
      ['kasa/fridge/energy', '1.235'],
      ['kasa/fridge/state', 'OFF'],
      ['kasa/fridge/availability', 'online'],
    ]);
  });

  it('retains exactly the state JSON, info, availability and bridge state', async () => {
    sink = new MqttSink(mqttConfig(broker.url), { log: memoryLogger().log, clock: systemClock });
    await sink.start();
    const r = makeReading();
    sink.write(r);
    sink.write(makeReading({ time: 1_700_000_010, values: { power: 1 } }));
    sink.availability(r.device, false);
    await waitFor(() => sink?.connected === true, 5000, 'connect');
    // A round trip through the broker after the sink's last publish: stop() waits for acks.
    await sink.stop();

    const seen = await retainedUnder(broker.url, 'kasa/#');
    expect(seen.every((m) => m.retain)).toBe(true);
    expect(Object.fromEntries(seen.map((m) => [m.topic, m.payload]))).toEqual({
      'kasa/bridge/state': 'offline',
      'kasa/fridge': '{"time":1700000010,"power":1}',
      'kasa/fridge/info': INFO,
      'kasa/fridge/availability': 'offline',
    });
  });

  it('republishes info when the identity or address changes, not on every tick', async () => {
    const sub = await subscribe(broker.url, 'kasa/+/info');
    closers.push(sub.close);
    sink = new MqttSink(mqttConfig(broker.url), { log: memoryLogger().log, clock: systemClock });
    await sink.start();
    await waitFor(() => sink?.connected === true, 5000, 'connect');
    const r = makeReading();
    for (let i = 0; i < 3; i++) sink.write({ ...r, time: r.time + 10 * i });
    sink.write({ ...r, identity: { ...r.identity, sw_ver: '1.5.11' } });
    sink.write({ ...r, device: { ...r.device, host: '10.0.0.6' } });
    sink.write({ ...r, device: { ...r.device, host: '10.0.0.6' } });
    await waitFor(() => sub.seen.length >= 3, 5000, 'three infos');
    await sink.stop();
    expect(sub.seen.map((m) => JSON.parse(m.payload) as Record<string, unknown>)).toMatchObject([
      { sw_ver: '1.5.10', host: '10.0.0.5' },
      { sw_ver: '1.5.11', host: '10.0.0.5' },
      { sw_ver: '1.5.10', host: '10.0.0.6' },
    ]);
    expect(sub.seen).toHaveLength(3);
  });

  it('skips a device whose name is not a topic level, logging once, and keeps publishing others', async () => {
    const sub = await subscribe(broker.url, 'kasa/#');
    closers.push(sub.close);
    const { log, lines } = memoryLogger();
    sink = new MqttSink(mqttConfig(broker.url), { log, clock: systemClock });
    await sink.start();
    const bad = makeReading({ device: { name: 'a/#', host: '10.0.0.66' } });
    expect(() => sink?.write(bad)).not.toThrow();
    sink.write(bad);
    sink.availability(bad.device, true);
    sink.write(makeReading());
    await waitFor(() => sub.seen.some((m) => m.topic === 'kasa/fridge/info'), 5000, 'good device');
    expect(sub.seen.some((m) => m.topic.startsWith('kasa/a'))).toBe(false);
    expect(lines.filter((l) => l.msg.includes('10.0.0.66:9999'))).toHaveLength(1);
  });

  it('rejects start() on an invalid topic prefix', async () => {
    const bad = new MqttSink(mqttConfig(broker.url, { topicPrefix: 'kasa/#' }), {
      log: memoryLogger().log,
      clock: systemClock,
    });
    await expect(bad.start()).rejects.toThrow(/MQTT topic prefix "kasa\/#"/);
    await bad.stop();
  });
});
