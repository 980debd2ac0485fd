import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import type { Config, DeviceConfig, FilterConfig } from '../../src/config/types.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import type { OutletSample, KasaDevice, DeviceSample } from '../../src/kasa/device.js';
import { deviceKey, type DeviceInfo, type Reading } from '../../src/reading.js';
import type { Sink } from '../../src/sinks/sink.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

/**
 * A power strip (HS300: per-outlet emeter; KP303: none) through the real Collector: one reading
 * per outlet, then the strip's own summed reading; shared availability; per-outlet relays.
 */

const FILTER: FilterConfig = { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 };
const DEVICE_ID = '8006' + 'EF'.repeat(18);
const child = (i: number): string => `${DEVICE_ID}0${i}`;
const T0 = 1_700_000_005_000;
const flush = () => new Promise((r) => setImmediate(r));

/** A sink that records everything by topic path (`strip/outlet`), removals included. */
class PathSink implements Sink {
  readonly name = 'paths';
  readonly readings: Reading[] = [];
  readonly events: string[] = [];
  async start(): Promise<void> {}
  write(reading: Reading): void {
    this.readings.push(reading);
  }
  availability(device: DeviceInfo, online: boolean): void {
    this.events.push(`${deviceKey(device)} ${online ? 'online' : 'offline'}`);
  }
  removed(device: DeviceInfo): void {
    this.events.push(`${deviceKey(device)} removed`);
  }
  async stop(): Promise<void> {}
}

type Step = DeviceSample | PlugErrorCode;

/** A scripted strip: each poll takes the next step, the last repeats; relay calls are recorded. */
class ScriptedStrip {
  calls = 0;
  readonly relays: { on: boolean; childId: string | undefined }[] = [];
  constructor(
    readonly target: string,
    private readonly script: Step[],
  ) {}
  async poll(): Promise<DeviceSample> {
    const step = this.script[Math.min(this.calls++, this.script.length - 1)]!;
    if (typeof step === 'string') throw new PlugError(step, this.target, 'scripted failure');
    return structuredClone(step);
  }
  async setRelay(on: boolean, _timeoutMs: number, childId?: string): Promise<void> {
    this.relays.push({ on, childId });
  }
}

const IDENTITY = {
  alias: 'Office Strip',
  model: 'HS300(US)',
  mac: '50:C7:BF:00:00:30',
  deviceId: DEVICE_ID,
};

const OUTLETS: OutletSample[] = [
  {
    id: child(0),
    position: 1,
    alias: 'Kettle',
    values: { power: 2000, current: 8.75, voltage: 230, energy: 1.5, state: 'ON' },
  },
  {
    id: child(1),
    position: 2,
    alias: 'TV',
    values: { power: 80.5, current: 0.375, voltage: 232, energy: 0.25, state: 'ON' },
  },
  {
    id: child(2),
    position: 3,
    alias: 'Power',
    values: { power: 0, current: 0, voltage: 231, energy: 0.125, state: 'OFF' },
  },
];

const HS300: DeviceSample = {
  identity: IDENTITY,
  values: { rssi: -55 },
  hasEmeter: true,
  outlets: OUTLETS,
};

/** The HS300 with one outlet's values replaced. */
function withOutlet(position: number, values: OutletSample['values']): DeviceSample {
  const s = structuredClone(HS300);
  s.outlets![position - 1]!.values = values;
  return s;
}

const STRIP: DeviceConfig = {
  host: '10.0.0.9',
  port: 9999,
  name: 'office_strip',
  node: 30,
  control: true,
  outlets: [{ name: 'kettle', node: 31 }, {}, { node: 33 }],
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function build(script: Step[], device: DeviceConfig = STRIP) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kasa-strip-'));
  dirs.push(dir);
  const clock = new ManualClock(T0);
  const sink = new PathSink();
  const mem = memoryLogger();
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 4, offlineAfter: 3 },
    devices: [device],
  };
  const energyTotals = new EnergyTotals({ dir, clock, log: mem.log, maxPower: FILTER.maxPower });
  const plugs: ScriptedStrip[] = [];
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    filter: FILTER,
    energyTotals,
    makeDevice: (c, n) => {
      const plug = new ScriptedStrip(`${c.host}:${c.port}`, script);
      plugs.push(plug);
      return new PolledDevice(c, n, plug as unknown as KasaDevice);
    },
  });
  const ticks = async (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(10_000);
      await flush();
      await flush();
    }
  };
  return { sink, mem, collector, ticks, plugs, energyTotals, clock };
}

const paths = (readings: Reading[]): string[] => readings.map((r) => deviceKey(r.device));

describe('a power strip through the collector', () => {
  it('writes one reading per outlet, then the strip with the sums, at each tick', async () => {
    const { sink, collector, ticks } = build([HS300]);
    await collector.start();
    await ticks(2);
    await collector.stop();
    const tick1 = [
      'office_strip/kettle',
      'office_strip/tv',
      'office_strip/outlet_3',
      'office_strip',
    ];
    expect(paths(sink.readings)).toEqual([...tick1, ...tick1]);
    expect(sink.readings.map((r) => r.time)).toEqual([
      ...Array(4).fill(1_700_000_010),
      ...Array(4).fill(1_700_000_020),
    ]);
    const [kettle, tv, third, strip] = sink.readings;
    expect(kettle!.device).toEqual({
      name: 'office_strip',
      host: '10.0.0.9',
      port: 9999,
      node: 31,
      control: true,
      outlet: { name: 'kettle', position: 1, id: child(0) },
    });
    expect(tv!.device).not.toHaveProperty('node');
    expect(third!.device.node).toBe(33);
    expect(kettle!.identity).toEqual({ ...IDENTITY, alias: 'Kettle' });
    expect(kettle!.values).toEqual({
      power: 2000,
      current: 8.75,
      voltage: 230,
      energy: 1.5,
      energy_total: 1.5,
      state: 'ON',
      rssi: -55,
    });
    for (const r of [kettle, tv, third]) expect(r).not.toHaveProperty('outlets');
    expect(strip!.device).toEqual({
      name: 'office_strip',
      host: '10.0.0.9',
      port: 9999,
      node: 30,
      control: true,
    });
    expect(strip!.outletCount).toBe(3);
    expect(strip!.identity).toEqual(IDENTITY);
    expect(strip!.values).toEqual({
      rssi: -55,
      power: 2080.5,
      current: 9.125,
      voltage: 231,
      energy: 1.875,
      energy_total: 1.875,
      state: 'ON',
    });
  });

  it("keeps each outlet's lifetime energy under <strip key>/<position>", async () => {
    const { collector, ticks, energyTotals } = build([HS300]);
    await collector.start();
    await ticks(1);
    await collector.stop();
    expect(energyTotals.get(`${DEVICE_ID}/1`)?.total).toBe(1.5);
    expect(energyTotals.get(`${DEVICE_ID}/2`)?.total).toBe(0.25);
    expect(energyTotals.get(`${DEVICE_ID}/3`)?.total).toBe(0.125);
    // The strip has no meter of its own: no total of its own either.
    expect(energyTotals.get(DEVICE_ID)).toBeUndefined();
  });

  it('announces the strip and each outlet online, and all offline after offlineAfter failures', async () => {
    const T = PlugErrorCode.TIMEOUT;
    const { sink, collector, ticks } = build([HS300, HS300, T, T, T, T, HS300]);
    await collector.start();
    await ticks(7);
    await collector.stop();
    const outlets = (state: string): string[] => [
      `office_strip/kettle ${state}`,
      `office_strip/tv ${state}`,
      `office_strip/outlet_3 ${state}`,
    ];
    // `online` follows each reading (so no consumer shows an older one as current); `offline`
    // goes strip first.
    const online = [...outlets('online'), 'office_strip online'];
    const offline = ['office_strip offline', ...outlets('offline')];
    expect(sink.events).toEqual([...online, ...offline, ...online]);
    // Two good ticks, then the 7th: 4 readings each.
    expect(sink.readings).toHaveLength(12);
  });

  it('announces an outlet first seen while the strip is already online', async () => {
    const two: DeviceSample = { ...HS300, outlets: OUTLETS.slice(0, 2) };
    const { sink, collector, ticks } = build([two, HS300]);
    await collector.start();
    await ticks(2);
    await collector.stop();
    expect(sink.events).toEqual([
      'office_strip/kettle online',
      'office_strip/tv online',
      'office_strip online',
      'office_strip/outlet_3 online',
    ]);
    expect(
      sink.readings.filter((r) => r.outletCount !== undefined).map((r) => r.outletCount),
    ).toEqual([2, 3]);
  });

  it("leaves a spike out of that outlet's reading and out of the strip's sum", async () => {
    const spiky = withOutlet(2, {
      power: 28_000,
      current: 0.375,
      voltage: 232,
      energy: 0.25,
      state: 'ON',
    });
    const { sink, mem, collector, ticks } = build([HS300, spiky, HS300]);
    await collector.start();
    await ticks(3);
    await collector.stop();
    const second = sink.readings.slice(4, 8);
    expect(paths(second)).toEqual([
      'office_strip/kettle',
      'office_strip/tv',
      'office_strip/outlet_3',
      'office_strip',
    ]);
    expect(second[0]!.values.power).toBe(2000);
    expect(second[1]!.values).not.toHaveProperty('power');
    expect(second[1]!.values).toMatchObject({ current: 0.375, voltage: 232, state: 'ON' });
    expect(second[3]!.values).not.toHaveProperty('power');
    expect(second[3]!.values).toMatchObject({ current: 9.125, voltage: 231, rssi: -55 });
    // The next tick is whole again.
    expect(sink.readings[11]!.values.power).toBe(2080.5);
    expect(collector.stats.spikes).toBe(1);
    const warn = mem.lines.filter((l) => l['msg'] === 'spike rejected');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ device: 'office_strip/tv', field: 'power', value: 28_000 });
  });

  it('publishes the outlets offline and removed when setDevices drops the strip', async () => {
    const { sink, collector, ticks, plugs } = build([HS300]);
    await collector.start();
    await ticks(1);
    sink.events.length = 0;
    const outcome = collector.setDevices([]);
    expect(outcome).toEqual({ added: 0, removed: 1, kept: 0 });
    expect(sink.events).toEqual([
      'office_strip offline',
      'office_strip/kettle offline',
      'office_strip/tv offline',
      'office_strip/outlet_3 offline',
      'office_strip removed',
      'office_strip/kettle removed',
      'office_strip/tv removed',
      'office_strip/outlet_3 removed',
    ]);
    await ticks(1);
    await collector.stop();
    expect(plugs[0]!.calls).toBe(1);
  });

  it('keeps the strip and its outlets when setDevices gets the same entry', async () => {
    const { sink, collector, ticks } = build([HS300]);
    await collector.start();
    await ticks(1);
    sink.events.length = 0;
    expect(collector.setDevices([{ ...STRIP, outlets: [...STRIP.outlets!] }])).toEqual({
      added: 0,
      removed: 0,
      kept: 1,
    });
    await ticks(1);
    await collector.stop();
    expect(sink.events).toEqual([]);
  });

  it('switches one outlet with its child id and publishes the re-poll', async () => {
    const { sink, collector, ticks, plugs, clock } = build([HS300]);
    await collector.start();
    await ticks(1);
    const before = sink.readings.length;
    expect(
      await collector.relayCommand({ device: 'office_strip', outlet: 'tv', action: 'OFF' }),
    ).toBe('switched');
    expect(
      await collector.relayCommand({ device: 'office_strip', outlet: 'kettle', action: 'ON' }),
    ).toBe('switched');
    await collector.stop();
    expect(plugs[0]!.relays).toEqual([
      { on: false, childId: child(1) },
      { on: true, childId: child(0) },
    ]);
    const fresh = sink.readings.slice(before);
    expect(fresh).toHaveLength(8);
    expect(fresh[3]!.outletCount).toBe(3);
    expect(fresh[0]!.time).toBe(Math.floor(clock.now() / 1000));
  });

  it('reads the outlet before a TOGGLE and flips what it read', async () => {
    const { collector, ticks, plugs } = build([HS300]);
    await collector.start();
    await ticks(1);
    const polls = plugs[0]!.calls;
    expect(
      await collector.relayCommand({
        device: 'office_strip',
        outlet: 'outlet_3',
        action: 'TOGGLE',
      }),
    ).toBe('switched');
    expect(
      await collector.relayCommand({ device: 'office_strip', outlet: 'tv', action: 'TOGGLE' }),
    ).toBe('switched');
    await collector.stop();
    // outlet 3 is OFF, tv is ON in every sample.
    expect(plugs[0]!.relays).toEqual([
      { on: true, childId: child(2) },
      { on: false, childId: child(1) },
    ]);
    // Each TOGGLE: one read before, one re-poll after.
    expect(plugs[0]!.calls - polls).toBe(4);
  });

  it('refuses a command to the strip itself and to an unknown outlet, logging each once', async () => {
    const { collector, ticks, plugs, mem } = build([HS300]);
    await collector.start();
    await ticks(1);
    expect(await collector.relayCommand({ device: 'office_strip', action: 'ON' })).toBe(
      'unknown-device',
    );
    expect(await collector.relayCommand({ device: 'office_strip', action: 'ON' })).toBe(
      'unknown-device',
    );
    expect(
      await collector.relayCommand({ device: 'office_strip', outlet: 'fan', action: 'ON' }),
    ).toBe('unknown-device');
    expect(await collector.relayCommand({ device: 'other', outlet: 'kettle', action: 'ON' })).toBe(
      'unknown-device',
    );
    await collector.stop();
    expect(plugs[0]!.relays).toEqual([]);
    const ignored = mem.lines.filter((l) => String(l['msg']).startsWith('relay command ignored'));
    expect(ignored.map((l) => l['device'])).toEqual([
      'office_strip',
      'office_strip/fan',
      'other/kettle',
    ]);
    expect(String(ignored[0]!['msg'])).toContain('switched per outlet');
    expect(String(ignored[1]!['msg'])).toContain('no such outlet');
  });

  it('refuses outlet commands when the strip has no control', async () => {
    const { control: _c, ...uncontrolled } = STRIP;
    const { collector, ticks, plugs } = build([HS300], uncontrolled);
    await collector.start();
    await ticks(1);
    expect(
      await collector.relayCommand({ device: 'office_strip', outlet: 'kettle', action: 'ON' }),
    ).toBe('not-controlled');
    await collector.stop();
    expect(plugs[0]!.relays).toEqual([]);
  });

  it('reads a strip without emeter (KP303): outlets carry state and the strip rssi, the strip rssi and whether any outlet is on', async () => {
    const kp303: DeviceSample = {
      identity: { ...IDENTITY, model: 'KP303(UK)' },
      values: { rssi: -61 },
      hasEmeter: false,
      outlets: OUTLETS.map((o) => ({ ...o, values: { state: o.values.state! } })),
    };
    const { sink, collector, ticks } = build([kp303]);
    await collector.start();
    await ticks(1);
    await collector.stop();
    expect(sink.readings.map((r) => [deviceKey(r.device), r.values, r.hasEmeter])).toEqual([
      ['office_strip/kettle', { state: 'ON', rssi: -61 }, false],
      ['office_strip/tv', { state: 'ON', rssi: -61 }, false],
      ['office_strip/outlet_3', { state: 'OFF', rssi: -61 }, false],
      ['office_strip', { rssi: -61, state: 'ON' }, false],
    ]);
  });
});
