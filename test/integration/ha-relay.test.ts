import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import { type Config } from '../../src/config/types.js';
import { buildCollector } from '../../src/main.js';
import { startFleet, type Fleet } from '../../src/sim/fleet.js';
import { startBroker, type TestBroker } from '../fakes/broker.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { haProblems, type Json } from '../sinks/homeassistant/ha-rules.js';
import { retainedUnder, subscribe, type Seen } from '../sinks/helpers.js';
import { waitFor } from '../fakes/wait.js';

/**
 * Home Assistant discovery and relay control through the whole wiring: simulated plugs, the
 * real collector at 1 s, a real broker; the test plays Home Assistant.
 */
describe('Home Assistant discovery and relay control', () => {
  let broker: TestBroker;
  let fleet: Fleet;
  let collector: Collector;
  let config: Config;
  let sub: Awaited<ReturnType<typeof subscribe>>;
  const mem = memoryLogger('info');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-ha-'));
  const seen = (): Seen[] => sub.seen;
  const publish = (topic: string, payload: string): Promise<unknown> =>
    sub.client.publishAsync(topic, payload, { qos: 1 });
  const logged = (msg: string): Record<string, unknown>[] =>
    mem.lines.filter((l) => String(l['msg']).includes(msg));

  beforeAll(async () => {
    broker = await startBroker();
    fleet = await startFleet([
      { profile: 'kp115', alias: 'Kettle', load: 'desk' },
      { profile: 'hs100', alias: 'Hall Lamp', load: 'lamp' },
    ]);
    sub = await subscribe(broker.url, 'homeassistant/#');
    await sub.client.subscribeAsync('kasa/#', { qos: 1 });
    const [kettle, lamp] = fleet.members;
    const defaults = loadConfig({ env: {} });
    config = {
      ...defaults,
      poll: { interval: 1, timeout: 0.5, concurrency: 4, offlineAfter: 2 },
      devices: [
        { host: kettle!.host, port: kettle!.port, name: 'kettle', control: true },
        { host: lamp!.host, port: lamp!.port, name: 'lamp' },
      ],
      mqtt: { ...defaults.mqtt, url: broker.url, clientId: 'ha-test-collector' },
      state: { dir: stateDir },
    };
    collector = buildCollector(config, mem.log, systemClock);
    await collector.start();
    await waitFor(
      () => seen().filter((m) => m.topic.endsWith('/config')).length >= 2,
      10_000,
      'two discovery configs',
    );
  }, 30_000);

  afterAll(async () => {
    await collector?.stop();
    await sub?.close();
    await fleet?.stop();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('leaves one retained config per plug that meets HA rules', async () => {
    const configs = await retainedUnder(broker.url, 'homeassistant/device/+/config');
    expect(configs.map((c) => c.topic).sort()).toEqual([
      expect.stringMatching(/^homeassistant\/device\/kasa_[0-9a-f]{12}\/config$/),
      expect.stringMatching(/^homeassistant\/device\/kasa_[0-9a-f]{12}\/config$/),
    ]);
    const byName = new Map(
      configs.map((c) => {
        const p = JSON.parse(c.payload) as Json;
        return [(p['dev'] as Json)['name'], p];
      }),
    );
    for (const p of byName.values()) expect(haProblems(p)).toEqual([]);
    const kettle = byName.get('Kettle')!['cmps'] as Json;
    expect(Object.keys(kettle)).toEqual(
      expect.arrayContaining([
        'power',
        'energy',
        'energy_total',
        'voltage',
        'current',
        'rssi',
        'relay',
      ]),
    );
    expect(Object.keys(byName.get('Hall Lamp')!['cmps'] as Json)).toEqual(['rssi', 'relay_state']);
  });

  it('re-announces every device when homeassistant/status says online', async () => {
    const before = seen().filter((m) => m.topic.endsWith('/config')).length;
    await publish('homeassistant/status', 'online');
    await waitFor(
      () => seen().filter((m) => m.topic.endsWith('/config')).length >= before + 2,
      5000,
      're-announcement',
    );
  });

  it('switches a plug with control on ON, OFF, TOGGLE and JSON, and publishes the new state', async () => {
    const kettle = fleet.members[0]!.plug;
    const stateOf = (): string | undefined => {
      const last = seen()
        .filter((m) => m.topic === 'kasa/kettle')
        .at(-1);
      return last && (JSON.parse(last.payload) as { state?: string }).state;
    };
    for (const [payload, relay] of [
      ['OFF', false],
      ['{"state":"on"}', true],
      ['toggle', false],
      ['On', true],
    ] as const) {
      await publish('kasa/kettle/set', payload);
      await waitFor(
        () => kettle.relay === relay && stateOf() === (relay ? 'ON' : 'OFF'),
        5000,
        payload,
      );
    }
    expect(logged('relay switched').length).toBeGreaterThanOrEqual(4);
  });

  it('ignores commands to a plug without control, logging once', async () => {
    const lamp = fleet.members[1]!.plug;
    const ignoredLamp = () => logged('relay command ignored').filter((l) => l['device'] === 'lamp');
    await publish('kasa/lamp/set', 'OFF');
    await publish('kasa/lamp/set', 'OFF');
    // A command to a device that does not exist, sent last: the collector receives messages in
    // order, so once it is logged both commands to the lamp have been handled.
    await publish('kasa/nobody/set', 'OFF');
    await waitFor(() => logged('no such device').length >= 1, 5000, 'the last command handled');
    expect(lamp.relay).toBe(true);
    expect(ignoredLamp()).toHaveLength(1);
  });

  it('rejects malformed commands with a log line and keeps running', async () => {
    const kettle = fleet.members[0]!.plug;
    const before = kettle.relay;
    for (const bad of ['', 'maybe', '{"state":1}', '{oops']) await publish('kasa/kettle/set', bad);
    await waitFor(() => logged('malformed relay command').length >= 4, 5000, 'rejections');
    expect(kettle.relay).toBe(before);
    const ticks = seen().filter((m) => m.topic === 'kasa/kettle').length;
    await waitFor(
      () => seen().filter((m) => m.topic === 'kasa/kettle').length > ticks,
      5000,
      'tick',
    );
  });

  it('removes a device dropped from the config with an empty retained config', async () => {
    const configs = await retainedUnder(broker.url, 'homeassistant/device/+/config');
    const lampTopic = configs.find((c) => c.payload.includes('"Hall Lamp"'))!.topic;
    collector.setDevices(config.devices.filter((d) => d.name !== 'lamp'));
    await waitFor(
      () => seen().some((m) => m.topic === lampTopic && m.payload === ''),
      5000,
      'empty config',
    );
    const left = await retainedUnder(broker.url, 'homeassistant/device/+/config');
    expect(left.map((c) => c.topic)).not.toContain(lampTopic);
    expect(left).toHaveLength(1);
  });
});
