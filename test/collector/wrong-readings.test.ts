import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import type { Config, FilterConfig } from '../../src/config/types.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import { TOTALS_FILE } from '../../src/energy/totals-file.js';
import type { KasaDevice, DeviceSample } from '../../src/kasa/device.js';
import type { Measurement } from '../../src/reading.js';
import { readingMessages } from '../../src/sinks/mqtt/topics.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';

/**
 * "Readings that are wrong", through the real Collector: spikes are filtered out of the
 * published reading, and the lifetime `energy_total` survives the plug's counter resets.
 */

const FILTER: FilterConfig = { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 };
const DEVICE_ID = '8006' + 'AB'.repeat(18);
const T0 = 1_700_000_005_000;
const flush = () => new Promise((r) => setImmediate(r));

/** A plug that answers each poll with the next scripted values; the last one repeats. */
class ScriptedPlug {
  calls = 0;
  constructor(private readonly script: Measurement[]) {}
  async poll(): Promise<DeviceSample> {
    const values = this.script[Math.min(this.calls++, this.script.length - 1)]!;
    return {
      identity: { alias: 'Fridge', mac: '50:C7:BF:00:00:01', deviceId: DEVICE_ID },
      values: { ...values },
      hasEmeter: true,
    };
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function build(script: Measurement[], dir = mkdtempSync(path.join(tmpdir(), 'kasa-wrong-'))) {
  dirs.push(dir);
  const clock = new ManualClock(T0);
  const sink = new RecordingSink();
  const mem = memoryLogger();
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 4, offlineAfter: 3 },
    devices: [{ host: '10.0.0.1', port: 9999, name: 'fridge', node: 27 }],
  };
  const energyTotals = new EnergyTotals({ dir, clock, log: mem.log, maxPower: FILTER.maxPower });
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    filter: FILTER,
    energyTotals,
    makeDevice: (c, n) => new PolledDevice(c, n, new ScriptedPlug(script) as unknown as KasaDevice),
  });
  const ticks = async (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(10_000);
      await flush();
      await flush();
    }
  };
  return { dir, sink, mem, collector, ticks };
}

const normal: Measurement = {
  power: 80.5,
  energy: 1.25,
  voltage: 231.2,
  current: 0.41,
  state: 'ON',
  rssi: -60,
};

describe('wrong readings through the collector', () => {
  it('leaves a 28,000 W spike out, publishes the rest, counts and logs it', async () => {
    const { sink, mem, collector, ticks } = build([normal, { ...normal, power: 28_000 }, normal]);
    await collector.start();
    await ticks(3);
    await collector.stop();
    const spiky = sink.readings[1]!.values;
    expect(spiky).not.toHaveProperty('power');
    expect(spiky).toMatchObject({ voltage: 231.2, current: 0.41, state: 'ON', rssi: -60 });
    expect(sink.readings[2]!.values.power).toBe(80.5);
    expect(collector.stats.spikes).toBe(1);
    const warn = mem.lines.filter((l) => l['msg'] === 'spike rejected');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ level: 40, device: 'fridge', field: 'power', value: 28_000 });
    expect(String(warn[0]!['reason'])).toContain('maxPower');
  });

  it('rate-limits the warnings of a plug that reports a negative power at every tick', async () => {
    const { sink, mem, collector, ticks } = build([{ ...normal, power: -3 }]);
    await collector.start();
    await ticks(100); // 1000 s
    await collector.stop();
    expect(sink.readings).toHaveLength(100);
    expect(sink.readings.every((r) => r.values.power === undefined)).toBe(true);
    expect(collector.stats.spikes).toBe(100); // every one counted
    const warn = mem.lines.filter((l) => String(l['msg']).startsWith('spike rejected'));
    expect(warn).toHaveLength(2); // the first, and one 10 minutes later with the count
    expect(warn[0]).toMatchObject({ device: 'fridge', field: 'power', value: -3 });
    expect(String(warn[1]!['msg'])).toContain('59 similar lines not logged');
  });

  it('publishes energy_total that never decreases across a plug energy reset', async () => {
    // Binary-exact steps of 7.8 Wh per 10 s (2.8 kW): plausible for the jump guard.
    const energies = [1.25, 1.2578125, 0, 0.0078125, 0.015625];
    const script = energies.map((energy) => ({ ...normal, energy }));
    const { dir, sink, collector, ticks } = build(script);
    await collector.start();
    await ticks(energies.length);
    await collector.stop();
    expect(sink.readings.map((r) => r.values.energy)).toEqual(energies);
    expect(sink.readings.map((r) => r.values.energy_total)).toEqual([
      1.25, 1.2578125, 1.2578125, 1.265625, 1.2734375,
    ]);
    // Persisted on stop, filed under the plug's deviceId.
    const file = JSON.parse(readFileSync(path.join(dir, TOTALS_FILE), 'utf8'));
    expect(file.devices[DEVICE_ID]).toMatchObject({ total: 1.2734375, last: 0.015625 });
  });

  it('carries the total over a collector restart while the plug rebooted', async () => {
    const first = build([{ ...normal, energy: 5 }]);
    await first.collector.start();
    await first.ticks(1);
    await first.collector.stop();
    const script = [
      { ...normal, energy: 0.25 },
      { ...normal, energy: 0.2578125 },
    ];
    const second = build(script, first.dir);
    await second.collector.start();
    await second.ticks(2);
    await second.collector.stop();
    expect(second.sink.readings.map((r) => r.values.energy_total)).toEqual([5, 5.0078125]);
    expect(second.mem.lines.some((l) => l['msg'] === 'energy totals restored')).toBe(true);
  });

  it('gives no energy_total to a reading whose energy was rejected', async () => {
    const { sink, collector, ticks } = build([normal, { ...normal, energy: -3 }]);
    await collector.start();
    await ticks(2);
    await collector.stop();
    expect(sink.readings[0]!.values.energy_total).toBe(1.25);
    expect(sink.readings[1]!.values).not.toHaveProperty('energy');
    expect(sink.readings[1]!.values).not.toHaveProperty('energy_total');
    expect(collector.stats.spikes).toBe(1);
  });

  it('does not add a one-reading counter glitch to energy_total', async () => {
    const energies = [2, 2.0078125, 500, 2.015625, 2.0234375];
    const { sink, mem, collector, ticks } = build(
      energies.map((energy) => ({ ...normal, energy })),
    );
    await collector.start();
    await ticks(energies.length);
    await collector.stop();
    const totals = sink.readings.map((r) => r.values.energy_total);
    expect(totals).toEqual([2, 2.0078125, 2.0078125, 2.0078125, 2.015625]);
    expect(mem.lines.some((l) => l['msg'] === 'implausible energy counter step ignored')).toBe(
      true,
    );
  });

  it('MQTT carries energy_total in the JSON state and on its own topic', async () => {
    const { sink, collector, ticks } = build([normal]);
    await collector.start();
    await ticks(1);
    await collector.stop();
    const msgs = readingMessages(sink.readings[0]!, 'kasa');
    expect(Object.keys(JSON.parse(msgs[0]!.payload))).toEqual([
      'time',
      'power',
      'energy',
      'energy_total',
      'voltage',
      'current',
      'state',
      'rssi',
    ]);
    expect(msgs).toContainEqual({
      topic: 'kasa/fridge/energy_total',
      payload: '1.25',
      retain: false,
    });
  });
});
