/**
 * `run` against newer plugs, end to end: a simulated Tapo P110 on KLAP (its transport forced in
 * its devices[] entry) and a KP125M on AES (found by the collector: 9999 refused, then discovery
 * on UDP 20002 of its own loopback address), the real collector at 1 s, a real broker and the
 * emonhub fake. Checks the MQTT readings, Home Assistant discovery, relay control, energy_total
 * and the emonhub frames.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { buildCollector } from '../../src/main.js';
import { SimulatedSmartPlug } from '../../src/sim/smart-plug.js';
import { startBroker, type TestBroker } from '../fakes/broker.js';
import { FakeEmonhub } from '../fakes/emonhub.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { retainedUnder, subscribe, type Seen } from '../sinks/helpers.js';
import { waitFor } from '../fakes/wait.js';

type Json = Record<string, unknown>;
const account = { username: 'owner@example.com', password: 'Right-1' };

describe('run with KLAP and AES plugs', () => {
  let broker: TestBroker;
  let emonhub: FakeEmonhub;
  let collector: Collector;
  let p110: SimulatedSmartPlug;
  let kp125m: SimulatedSmartPlug;
  let sub: Awaited<ReturnType<typeof subscribe>>;
  let heaterHost = '';
  const mem = memoryLogger('info');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-newer-'));
  const seen = (): Seen[] => sub.seen;
  const states = (name: string): Json[] =>
    seen()
      .filter((m) => m.topic === `kasa/${name}`)
      .map((m) => JSON.parse(m.payload) as Json);

  beforeAll(async () => {
    broker = await startBroker();
    emonhub = new FakeEmonhub(true);
    await emonhub.start();
    p110 = new SimulatedSmartPlug({ profile: 'p110', alias: 'Kettle', account, load: 'desk' });
    await p110.start();
    // The AES plug answers discovery on 20002 of an address of its own, as on a LAN.
    for (let i = 0; ; i++) {
      heaterHost = `127.77.${13 + i}.${2 + ((process.pid + i) % 200)}`;
      kp125m = new SimulatedSmartPlug({
        profile: 'kp125m',
        alias: 'Heater',
        account,
        host: heaterHost,
        discoveryPort: 20002,
        load: 'fridge',
      });
      try {
        await kp125m.start();
        break;
      } catch (err) {
        if (i > 5) throw err;
      }
    }
    sub = await subscribe(broker.url, 'homeassistant/#');
    await sub.client.subscribeAsync('kasa/#', { qos: 1 });
    const defaults = loadConfig({ env: {} });
    const config: Config = {
      ...defaults,
      poll: { interval: 1, timeout: 0.9, concurrency: 4, offlineAfter: 3 },
      kasa: { ...account, passwordFile: '' },
      devices: [
        {
          host: '127.0.0.1',
          port: p110.port,
          name: 'kettle',
          node: 41,
          control: true,
          transport: 'klap',
        },
        { host: heaterHost, port: 9999, name: 'heater', node: 42 },
      ],
      mqtt: { ...defaults.mqtt, url: broker.url, clientId: 'newer-plugs-collector' },
      emonhub: {
        ...defaults.emonhub,
        enabled: true,
        host: '127.0.0.1',
        port: emonhub.port,
        fields: ['power', 'energy', 'energy_total', 'state', 'rssi'],
      },
      state: { dir: stateDir },
    };
    collector = buildCollector(config, mem.log, systemClock);
    await collector.start();
    await waitFor(
      () =>
        states('kettle').length >= 3 && states('heater').length >= 3 && emonhub.lines.length >= 4,
      20_000,
      'readings of both plugs',
    );
  }, 40_000);

  afterAll(async () => {
    await collector?.stop();
    await sub?.close();
    await p110?.stop();
    await kp125m?.stop();
    await emonhub?.stop();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('publishes readings in W, V, A and kWh with energy_total', () => {
    const kettle = states('kettle').at(-1) as Json;
    expect(kettle).toMatchObject({ state: 'ON' });
    for (const k of ['power', 'energy', 'energy_total', 'voltage', 'current', 'rssi'])
      expect(typeof kettle[k], k).toBe('number');
    expect(kettle['power'] as number).toBeGreaterThan(20);
    expect(kettle['voltage'] as number).toBeGreaterThan(220);
    const heater = states('heater').at(-1) as Json;
    expect(typeof heater['power']).toBe('number');
    expect(typeof heater['energy_total']).toBe('number');
    expect(heater['voltage']).toBeUndefined(); // the KP125M profile has no get_emeter_data
    const totals = states('kettle').map((s) => s['energy_total'] as number);
    for (let i = 1; i < totals.length; i++)
      expect(totals[i]).toBeGreaterThanOrEqual(totals[i - 1] as number);
  });

  it('found the AES plug by itself and said so once', () => {
    const found = mem.lines.filter((l) => String(l['msg']).startsWith('plug found on AES'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ host: heaterHost, model: 'KP125M(US)', protocol: 'smart' });
  });

  it('announces each plug to Home Assistant as a TP-Link device with its model and sensors', async () => {
    const configs = await retainedUnder(broker.url, 'homeassistant/device/+/config');
    const byModel = new Map(
      configs.map((c) => {
        const p = JSON.parse(c.payload) as Json;
        return [(p['dev'] as Json)['model'], p];
      }),
    );
    const kettle = byModel.get('P110') as Json;
    expect(kettle['dev']).toMatchObject({
      manufacturer: 'TP-Link',
      name: 'Kettle',
      sw_version: p110.profile.fwVer,
    });
    expect(Object.keys(kettle['cmps'] as Json)).toEqual(
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
    const heater = byModel.get('KP125M') as Json;
    expect(Object.keys(heater['cmps'] as Json)).toEqual(
      expect.arrayContaining(['power', 'energy', 'energy_total', 'rssi']),
    );
  });

  // The KP125M reports no voltage or current: frames carry the fields both plugs have.
  it('sends well-formed emonhub frames on each plug node', () => {
    expect(emonhub.violations).toEqual([]);
    const nodes = new Set(emonhub.lines.map((l) => l.split(' ')[1]));
    expect(nodes).toEqual(new Set(['41', '42']));
    const kettle = emonhub.lines.filter((l) => l.split(' ')[1] === '41').at(-1) as string;
    expect(kettle.split(' ')).toHaveLength(2 + 5);
  });

  it('switches the KLAP plug from <prefix>/kettle/set and publishes the new state', async () => {
    await sub.client.publishAsync('kasa/kettle/set', 'OFF', { qos: 1 });
    await waitFor(
      () => !p110.relay && states('kettle').at(-1)?.['state'] === 'OFF',
      10_000,
      'kettle off',
    );
    await sub.client.publishAsync('kasa/kettle/set', 'ON', { qos: 1 });
    await waitFor(
      () => p110.relay && states('kettle').at(-1)?.['state'] === 'ON',
      10_000,
      'kettle on',
    );
  });
});
