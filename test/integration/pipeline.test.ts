import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import { type Config } from '../../src/config/types.js';
import { buildCollector } from '../../src/main.js';
import { startFleet, type Fleet } from '../../src/sim/fleet.js';
import { startBroker, type TestBroker } from '../fakes/broker.js';
import { FakeEmonhub } from '../fakes/emonhub.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { waitFor } from '../fakes/wait.js';

/**
 * The whole wiring against real parts: simulated plugs speaking the real protocol, the real
 * collector on the real clock at a 1 s interval, a real broker (mosquitto when installed) and a
 * fake emonhub socket interfacer that reads like the real one.
 */

interface Msg {
  topic: string;
  payload: string;
  retain: boolean;
}

describe('collector → MQTT + emonhub', () => {
  let broker: TestBroker;
  let fleet: Fleet;
  let emonhub: FakeEmonhub;
  let collector: Collector;
  let sub: MqttClient;
  const msgs: Msg[] = [];
  const mem = memoryLogger('info');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-pipeline-'));

  beforeAll(async () => {
    broker = await startBroker();
    emonhub = new FakeEmonhub(true);
    await emonhub.start();
    fleet = await startFleet([
      { profile: 'hs110v1', alias: 'Fridge', load: 'fridge' },
      { profile: 'hs110v4', alias: 'Washing Machine', load: 'washer' },
      { profile: 'hs100', alias: 'Hall Lamp', load: 'lamp' },
      { profile: 'kp115', alias: 'Stuck', load: 'desk' },
    ]);
    await fleet.members[3]!.plug.setFault('hang', true);
    sub = await mqtt.connectAsync(broker.url, { clientId: 'pipeline-test-sub' });
    sub.on('message', (topic, payload, packet) =>
      msgs.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }),
    );
    await sub.subscribeAsync('kasa/#', { qos: 1 });
    const m = fleet.members;
    const defaults = loadConfig({ env: {} });
    const config: Config = {
      ...defaults,
      poll: { interval: 1, timeout: 0.5, concurrency: 8, offlineAfter: 2 },
      devices: [
        { host: m[0]!.host, port: m[0]!.port, node: 27 },
        { host: m[1]!.host, port: m[1]!.port, name: 'washer', node: 28 },
        { host: m[2]!.host, port: m[2]!.port, node: 29 },
        { host: m[3]!.host, port: m[3]!.port, name: 'stuck', node: 30 },
      ],
      mqtt: {
        ...defaults.mqtt,
        output: 'json_and_attributes',
        enabled: true,
        url: broker.url,
        username: '',
        password: '',
        topicPrefix: 'kasa',
        qos: 1,
        clientId: 'pipeline-test-collector',
      },
      emonhub: {
        ...defaults.emonhub,
        enabled: true,
        host: '127.0.0.1',
        port: emonhub.port,
        timestamped: true,
        fields: ['voltage', 'current', 'power', 'energy', 'state', 'rssi'],
      },
      log: { level: 'info' },
      // Energy totals (and outboxes) in a temp dir, never in the working directory.
      state: { dir: stateDir },
    };
    collector = buildCollector(config, mem.log, systemClock);
    await collector.start();
    // Three ticks of readings for the healthy plugs, and the stuck one offline.
    await waitFor(
      () =>
        msgs.filter((x) => x.topic === 'kasa/washer').length >= 3 &&
        msgs.some((x) => x.topic === 'kasa/stuck/availability' && x.payload === 'offline') &&
        emonhub.lines.length >= 6,
      15_000,
      'three ticks, the stuck plug offline and six emonhub frames',
    );
  }, 30_000);

  afterAll(async () => {
    await collector?.stop();
    await sub?.endAsync();
    await fleet?.stop();
    await emonhub?.stop();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('publishes the JSON state of each plug with harmonized times shared by the tick', () => {
    const states = msgs.filter((x) =>
      ['kasa/fridge', 'kasa/washer', 'kasa/hall_lamp'].includes(x.topic),
    );
    const times = new Map<number, Set<string>>();
    for (const s of states) {
      const j = JSON.parse(s.payload) as { time: number };
      expect(Number.isInteger(j.time)).toBe(true);
      if (!times.has(j.time)) times.set(j.time, new Set());
      times.get(j.time)!.add(s.topic);
    }
    // Every tick in the middle of the run carries all three healthy plugs.
    const full = [...times.values()].filter((set) => set.size === 3);
    expect(full.length).toBeGreaterThanOrEqual(2);
  });

  it('normalizes legacy and unit-suffixed plugs to the same units and keys', () => {
    const last = (topic: string) =>
      JSON.parse(msgs.filter((x) => x.topic === topic).at(-1)!.payload) as Record<string, unknown>;
    for (const topic of ['kasa/fridge', 'kasa/washer']) {
      const r = last(topic);
      expect(Object.keys(r)).toEqual([
        'time',
        'power',
        'energy',
        'energy_total',
        'voltage',
        'current',
        'state',
        'rssi',
      ]);
      expect(r['voltage']).toBeGreaterThan(200);
      expect(r['voltage']).toBeLessThan(260);
      expect(r['state']).toBe('ON');
      expect(r['rssi']).toBeLessThan(0);
    }
    const lamp = last('kasa/hall_lamp');
    expect(Object.keys(lamp)).toEqual(['time', 'state', 'rssi']);
  });

  it('the values published equal what the simulated plug reports', () => {
    const washer = fleet.members[1]!.plug;
    const r = JSON.parse(msgs.filter((x) => x.topic === 'kasa/washer').at(-1)!.payload) as Record<
      string,
      number
    >;
    const plain = msgs.filter((x) => x.topic === 'kasa/washer/power').at(-1)!;
    expect(plain.retain).toBe(false);
    expect(Number(plain.payload)).toBe(r['power']);
    // Energy only grows on a running plug; it is the plug's own counter in kWh.
    expect(r['energy']).toBeGreaterThanOrEqual(0);
    expect(washer.requests).toBeGreaterThanOrEqual(3);
  });

  it('publishes retained info, availability and bridge state', () => {
    const info = msgs.find((x) => x.topic === 'kasa/fridge/info')!;
    const j = JSON.parse(info.payload) as Record<string, unknown>;
    expect(j).toMatchObject({
      alias: 'Fridge',
      model: 'HS110(EU)',
      hw_ver: '1.0',
      host: '127.0.0.1',
      port: fleet.members[0]!.port,
    });
    expect(msgs.some((x) => x.topic === 'kasa/fridge/availability' && x.payload === 'online')).toBe(
      true,
    );
    expect(msgs.some((x) => x.topic === 'kasa/bridge/state' && x.payload === 'online')).toBe(true);
    expect(msgs.filter((x) => x.topic === 'kasa/fridge/info').length).toBe(1);
  });

  it('a hung plug goes offline once and does not delay the others', () => {
    expect(msgs.filter((x) => x.topic === 'kasa/stuck/availability').map((x) => x.payload)).toEqual(
      ['offline'],
    );
    expect(msgs.some((x) => x.topic === 'kasa/stuck')).toBe(false);
    const offlineLogs = mem.lines.filter((l) => String(l['msg']).startsWith('plug offline'));
    expect(offlineLogs).toHaveLength(1);
    expect(offlineLogs[0]).toMatchObject({ device: 'stuck', code: 'PLUG_TIMEOUT' });
  });

  it('sends well-formed emonhub frames for plugs with every field, none for the lamp', () => {
    expect(emonhub.violations).toEqual([]);
    const nodes = new Set(emonhub.lines.map((l) => l.split(' ')[1]));
    expect(nodes).toEqual(new Set(['27', '28']));
    for (const line of emonhub.lines) {
      const parts = line.split(' ');
      expect(parts).toHaveLength(8);
      expect(Number(parts[0]) % 1).toBe(0);
      expect(parts[6]).toBe('1');
    }
    const warned = mem.lines.filter((l) => l['sink'] === 'emonhub' && l['level'] === 40);
    expect(warned.length).toBe(1);
  });

  it('emonhub frames carry the same tick times as the MQTT state', () => {
    const mqttTimes = new Set(
      msgs
        .filter((x) => x.topic === 'kasa/fridge')
        .map((x) => (JSON.parse(x.payload) as { time: number }).time),
    );
    const frameTimes = emonhub.lines
      .filter((l) => l.split(' ')[1] === '27')
      .map((l) => Number(l.split(' ')[0]));
    expect(frameTimes.length).toBeGreaterThan(0);
    for (const t of frameTimes) expect(mqttTimes.has(t)).toBe(true);
  });
});
