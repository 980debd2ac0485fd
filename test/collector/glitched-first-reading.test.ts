import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { Config, FilterConfig } from '../../src/config/types.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import { TOTALS_FILE } from '../../src/energy/totals-file.js';
import type { DeviceSample, KasaDevice } from '../../src/kasa/device.js';
import type { Measurement } from '../../src/reading.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';
import { family, startSink } from '../sinks/prometheus/helpers.js';

/**
 * A glitched value in a plug's FIRST reading ever, or in the totals file, must never become a
 * lifetime total: bounds apply to every reading and to what is read back from state.
 */

const FILTER: FilterConfig = { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 };
const MAC = '50:C7:BF:00:00:02';
const T0 = 1_700_000_005_000;
const flush = () => new Promise((r) => setImmediate(r));

class ScriptedPlug {
  calls = 0;
  constructor(private readonly script: Measurement[]) {}
  async poll(): Promise<DeviceSample> {
    const values = this.script[Math.min(this.calls++, this.script.length - 1)]!;
    return { identity: { alias: 'Dryer', mac: MAC }, values: { ...values }, hasEmeter: true };
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function build(script: Measurement[], dir = mkdtempSync(path.join(tmpdir(), 'kasa-glitch-'))) {
  dirs.push(dir);
  const clock = new ManualClock(T0);
  const sink = new RecordingSink();
  const mem = memoryLogger();
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 4, offlineAfter: 3 },
    devices: [{ host: '10.0.0.2', port: 9999, name: 'dryer' }],
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
  return { dir, sink, mem, collector, ticks, energyTotals };
}

const sane: Measurement = { power: 500, energy: 2.5, voltage: 230, current: 2.2, state: 'ON' };

describe('a glitched first reading', () => {
  it('power and energy of 1e308 are rejected and counted, and never become energy_total', async () => {
    const { dir, sink, collector, ticks, mem } = build([
      { ...sane, power: 1e308, energy: 1e308 },
      sane,
    ]);
    await collector.start();
    await ticks(2);
    await collector.stop();
    expect(sink.readings[0]!.values).not.toHaveProperty('power');
    expect(sink.readings[0]!.values).not.toHaveProperty('energy');
    expect(sink.readings[0]!.values).not.toHaveProperty('energy_total');
    expect(collector.stats.spikes).toBe(2);
    const energyWarn = mem.lines.find(
      (l) => l['msg'] === 'spike rejected' && l['field'] === 'energy',
    );
    expect(String(energyWarn?.['reason'])).toContain('lifetime ceiling');
    // The sane reading after it starts the total.
    expect(sink.readings[1]!.values.energy_total).toBe(2.5);
    const file = JSON.parse(readFileSync(path.join(dir, TOTALS_FILE), 'utf8'));
    expect(file.devices[MAC]).toMatchObject({ total: 2.5, last: 2.5 });
  });

  it('a total of 1e308 in the totals file is dropped on load; the other devices keep theirs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kasa-glitch-'));
    writeFileSync(
      path.join(dir, TOTALS_FILE),
      JSON.stringify({
        version: 1,
        devices: {
          [MAC]: { total: 1e308, last: 1e308, updated: 1_700_000_000 },
          'AA:BB:CC:DD:EE:FF': { total: 500.012, last: 3, updated: 1_700_000_000 },
        },
      }),
    );
    const { sink, collector, ticks, energyTotals, mem } = build([sane], dir);
    await collector.start();
    await ticks(1);
    await collector.stop();
    expect(sink.readings[0]!.values.energy_total).toBe(2.5);
    expect(energyTotals.get('AA:BB:CC:DD:EE:FF')?.total).toBe(500.012);
    expect(mem.lines.some((l) => String(l['msg']).includes('dropped'))).toBe(true);
  });
});

describe('/metrics with one device value out of range', () => {
  it('still answers 200, skips the value and counts it', async () => {
    const { sink, get } = await startSink();
    try {
      const info = { name: 'dryer', host: '10.0.0.2', port: 9999 };
      const good = { name: 'fridge', host: '10.0.0.1', port: 9999 };
      const base = { time: 1_700_000_010, identity: {}, hasEmeter: true };
      sink.write({ ...base, device: info, values: { power: 5, energy_total: 1e308 } });
      sink.write({ ...base, device: good, values: { power: 80, energy_total: 1.5 } });
      sink.write({ ...base, device: info, values: { power: Number.POSITIVE_INFINITY } });
      const res = await get('/metrics');
      expect(res.status).toBe(200);
      expect(family(res.text, 'kasa_energy_joules_total').slice(2)).toEqual([
        'kasa_energy_joules_total{device="fridge",outlet=""} 5400000',
      ]);
      expect(family(res.text, 'kasa_power_watts').slice(2)).toEqual([
        'kasa_power_watts{device="fridge",outlet=""} 80',
      ]);
      expect(family(res.text, 'kasa_invalid_values_total').slice(2)).toEqual([
        'kasa_invalid_values_total{device="dryer",outlet="",field="energy_total"} 1',
        'kasa_invalid_values_total{device="dryer",outlet="",field="power"} 1',
      ]);
    } finally {
      await sink.stop();
    }
  });
});
