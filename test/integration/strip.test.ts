import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import { type Config } from '../../src/config/types.js';
import { MetricsSink } from '../../src/sinks/prometheus/sink.js';
import { slugify } from '../../src/collector/naming.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { buildCollector } from '../../src/main.js';
import { FakeEmonhub } from '../fakes/emonhub.js';
import { startBroker, type TestBroker } from '../fakes/broker.js';
import {
  fixturesAvailable,
  fixturesDir,
  startFixtureStrip,
  type FixtureStrip,
} from '../fakes/fixture-strip.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { family } from '../sinks/prometheus/helpers.js';
import { haProblems, type Json } from '../sinks/homeassistant/ha-rules.js';
import { emonhubConfig, retainedUnder, subscribe, type Seen } from '../sinks/helpers.js';
import { waitFor } from '../fakes/wait.js';

/**
 * A power strip through the whole wiring: a fake HS300 answering as a real capture
 * (`HS300(US)_2.0_1.0.12.json`, read from ../shared at test time) and a simulated KP303, the real
 * collector at 1 s, a real broker, a fake emonhub; the test plays Home Assistant and Node-RED.
 */
const CAPTURE = 'HS300(US)_2.0_1.0.12.json';
if (!fixturesAvailable)
  console.warn(`strip.test.ts: ${fixturesDir} is missing; the fixture strip suite is skipped`);

/** What the collector publishes for one raw unit-suffixed reading, rounded as published. */
function expectedOutlet(raw: Json): { power: number; voltage: number; current: number } {
  return {
    power: Number(((raw['power_mw'] as number) / 1000).toFixed(3)),
    voltage: Number(((raw['voltage_mv'] as number) / 1000).toFixed(3)),
    current: Number(((raw['current_ma'] as number) / 1000).toFixed(4)),
  };
}

describe.skipIf(!fixturesAvailable)('a power strip end to end', () => {
  let broker: TestBroker;
  let strip: FixtureStrip;
  let kp303: SimulatedPlug;
  let emonhub: FakeEmonhub;
  let collector: Collector;
  let sub: Awaited<ReturnType<typeof subscribe>>;
  const mem = memoryLogger('info');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-strip-'));
  const seen = (): Seen[] => sub.seen;
  const last = (topic: string): Json | undefined => {
    const m = seen()
      .filter((s) => s.topic === topic)
      .at(-1);
    return m && (JSON.parse(m.payload) as Json);
  };
  /** The 6 outlet names: outlet 1 and 3 configured, the others from their captured aliases. */
  let names: string[] = [];

  beforeAll(async () => {
    broker = await startBroker();
    strip = await startFixtureStrip(CAPTURE);
    kp303 = new SimulatedPlug({ profile: 'kp303', alias: 'Desk Strip' });
    await kp303.start();
    emonhub = new FakeEmonhub(true);
    await emonhub.start();
    const aliases = (strip.sysinfo['children'] as Json[]).map((c) => String(c['alias']));
    names = aliases.map((a, i) => (i === 0 ? 'monitor' : i === 2 ? 'kettle' : slugify(a)));
    sub = await subscribe(broker.url, 'kasa/#');
    await sub.client.subscribeAsync('homeassistant/#', { qos: 1 });
    const defaults = loadConfig({ env: {} });
    const config: Config = {
      ...defaults,
      poll: { interval: 1, timeout: 0.8, concurrency: 4, offlineAfter: 2 },
      devices: [
        {
          host: strip.host,
          port: strip.port,
          name: 'office',
          node: 40,
          control: true,
          outlets: [{ name: 'monitor', node: 41 }, {}, { name: 'kettle', node: 43 }],
        },
        { host: kp303.host, port: kp303.port, name: 'desk_strip' },
      ],
      mqtt: {
        ...defaults.mqtt,
        output: 'json_and_attributes',
        url: broker.url,
        clientId: 'strip-test-collector',
      },
      emonhub: emonhubConfig(emonhub.port),
      state: { dir: stateDir },
    };
    collector = buildCollector(config, mem.log, systemClock);
    await collector.start();
    await waitFor(
      () =>
        last(`kasa/office/${names[5]}`) !== undefined &&
        last('kasa/office') !== undefined &&
        last('kasa/desk_strip') !== undefined,
      10_000,
      'a reading of the last outlet and of the KP303',
    );
  }, 30_000);

  afterAll(async () => {
    await collector?.stop();
    await sub?.close();
    await strip?.stop();
    await kp303?.stop();
    await emonhub?.stop();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('publishes each outlet under <p>/<strip>/<outlet> with its own emeter reading', () => {
    strip.outletEmeter.forEach((raw, i) => {
      const state = last(`kasa/office/${names[i]}`);
      expect(state, names[i]).toMatchObject({
        ...expectedOutlet(raw),
        state: 'ON',
        rssi: strip.sysinfo['rssi'],
      });
      const power = seen()
        .filter((m) => m.topic === `kasa/office/${names[i]}/power`)
        .at(-1);
      expect(Number(power?.payload)).toBe(expectedOutlet(raw).power);
    });
    // Each outlet was asked by its captured child id, one outlet per request.
    const asked = strip.plug.received as Json[];
    const ids = asked
      .filter((r) => 'emeter' in r)
      .map((r) => ((r['context'] as Json)['child_ids'] as string[])[0]);
    expect(new Set(ids)).toEqual(new Set(strip.childIds));
    expect(asked.filter((r) => 'emeter' in r).every((r) => !('system' in r))).toBe(true);
  });

  it('publishes the strip itself as the sum of its outlets', () => {
    const total = last('kasa/office');
    const sum = strip.outletEmeter
      .map((raw) => (raw['power_mw'] as number) / 1000)
      .reduce((a, b) => a + b, 0);
    expect(total?.['power']).toBeCloseTo(sum, 3);
    expect(total?.['rssi']).toBe(strip.sysinfo['rssi']);
    const info = seen().find((m) => m.topic === 'kasa/office/monitor/info');
    expect(JSON.parse(info!.payload)).toMatchObject({
      alias: (strip.sysinfo['children'] as Json[])[0]!['alias'],
      model: 'HS300(US)',
      outlet: 1,
      id: strip.childIds[0],
      node: 41,
    });
  });

  it('gives a KP303 (no emeter) outlets with their relay state and the strip rssi only', () => {
    const fieldLevels =
      /\/(power|energy|energy_total|voltage|current|state|rssi|info|availability)$/;
    const outlets = [...new Set(seen().map((m) => m.topic))].filter(
      (t) => /^kasa\/desk_strip\/[^/]+$/.test(t) && !fieldLevels.test(t),
    );
    expect(outlets.sort()).toEqual([
      'kasa/desk_strip/outlet_1',
      'kasa/desk_strip/outlet_2',
      'kasa/desk_strip/outlet_3',
    ]);
    for (const t of outlets)
      expect(Object.keys(last(t)!).sort()).toEqual(['rssi', 'state', 'time']);
    expect(last('kasa/desk_strip')).toMatchObject({ state: 'ON' });
    expect(last('kasa/desk_strip')).not.toHaveProperty('power');
  });

  it('announces each outlet to Home Assistant as its own device, via the strip', async () => {
    const configs = await retainedUnder(broker.url, 'homeassistant/device/+/config');
    const payloads = configs.map((c) => JSON.parse(c.payload) as Json);
    for (const p of payloads) expect(haProblems(p)).toEqual([]);
    const office = payloads.filter((p) =>
      ((p['cmps'] as Json)['power'] as Json | undefined)?.['state_topic']
        ?.toString()
        .startsWith('kasa/office'),
    );
    expect(office).toHaveLength(7); // the strip and its 6 outlets
    const monitor = office.find(
      (p) =>
        (p['cmps'] as Json)['relay'] !== undefined &&
        ((p['cmps'] as Json)['relay'] as Json)['command_topic'] === 'kasa/office/monitor/set',
    );
    expect(monitor).toBeDefined();
    const dev = monitor!['dev'] as Json;
    expect(dev['identifiers']).toEqual([expect.stringMatching(/^kasa_[0-9a-f]{12}_outlet1$/)]);
    expect(dev['via_device']).toMatch(/^kasa_[0-9a-f]{12}$/);
    expect(dev).not.toHaveProperty('connections');
    const own = office.find(
      (p) => ((p['dev'] as Json)['identifiers'] as string[])[0] === dev['via_device'],
    );
    expect(own).toBeDefined();
    expect((own!['cmps'] as Json)['relay']).toBeUndefined();
    // KP303 outlets without control: the strip's signal strength and a read-only relay state.
    const desk = payloads.filter((p) =>
      /kasa\/desk_strip\/[^/"]+\/availability/.test(JSON.stringify(p['availability'])),
    );
    expect(desk).toHaveLength(kp303.outletIds().length);
    for (const p of desk) expect(Object.keys(p['cmps'] as Json)).toEqual(['rssi', 'relay_state']);
  });

  it('switches one outlet on <p>/<strip>/<outlet>/set and publishes its new state', async () => {
    expect(strip.plug.outletRelay(0)).toBe(true);
    await sub.client.publishAsync('kasa/office/monitor/set', 'OFF', { qos: 1 });
    await waitFor(() => last('kasa/office/monitor')?.['state'] === 'OFF', 5000, 'monitor OFF');
    expect(strip.plug.outletRelay(0)).toBe(false);
    expect(strip.plug.outletRelay(1)).toBe(true);
    expect(last(`kasa/office/${names[1]}`)?.['state']).toBe('ON');
    await sub.client.publishAsync('kasa/office/monitor/set', 'ON', { qos: 1 });
    await waitFor(() => last('kasa/office/monitor')?.['state'] === 'ON', 5000, 'monitor ON');
    // The strip itself has no relay: a command to it is refused with a log line.
    await sub.client.publishAsync('kasa/office/set', 'OFF', { qos: 1 });
    await waitFor(
      () => mem.lines.some((l) => String(l['msg']).includes('switched per outlet')),
      5000,
      'the refusal',
    );
    expect([0, 1, 2, 3, 4, 5].every((i) => strip.plug.outletRelay(i))).toBe(true);
  });

  it('sends outlets with a node to emonhub as their own nodes, and the strip total as its node', async () => {
    await waitFor(
      () => [40, 41, 43].every((n) => emonhub.lines.some((l) => l.split(' ')[1] === String(n))),
      5000,
      'frames of nodes 40, 41 and 43',
    );
    expect(emonhub.violations).toEqual([]);
    const nodes = new Set(emonhub.lines.map((l) => l.split(' ')[1]));
    expect([...nodes].sort()).toEqual(['40', '41', '43']);
  });
});

describe.skipIf(!fixturesAvailable)('a power strip in /metrics', () => {
  it('labels outlets with outlet="<name>" and leaves the strip out of the power sums', async () => {
    const { log } = memoryLogger('silent');
    const strip = await startFixtureStrip(CAPTURE);
    const metrics = new MetricsSink(
      { host: '127.0.0.1', port: 0 },
      { log, clock: systemClock, intervalS: 10 },
    );
    const collector = new Collector(
      {
        poll: { interval: 10, timeout: 1, concurrency: 2, offlineAfter: 1 },
        devices: [{ host: strip.host, port: strip.port, name: 'office' }],
      },
      { clock: systemClock, log, sink: metrics, observer: metrics },
    );
    try {
      await metrics.start();
      await collector.pollNow(1_700_000_010);
      const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
      const samples = (name: string): string[] =>
        family(text, name).filter((l) => !l.startsWith('#'));
      const power = samples('kasa_power_watts');
      expect(power).toHaveLength(6);
      expect(
        power.every((l) => /^kasa_power_watts\{device="office",outlet="[a-z0-9_]+"\} /.test(l)),
      ).toBe(true);
      expect(power.some((l) => l.includes('outlet=""'))).toBe(false);
      const watts = power.map((l) => Number(l.split(' ').at(-1)));
      const sum = strip.outletEmeter.reduce((a, raw) => a + (raw['power_mw'] as number) / 1000, 0);
      expect(watts.reduce((a, b) => a + b, 0)).toBeCloseTo(sum, 3);
      expect(samples('kasa_rssi_dbm')).toContain(
        `kasa_rssi_dbm{device="office",outlet=""} ${String(strip.sysinfo['rssi'])}`,
      );
      expect(samples('kasa_device_up')).toHaveLength(7);
    } finally {
      await collector.stop();
      await metrics.stop();
      await strip.stop();
    }
  });
});
