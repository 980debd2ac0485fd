import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { Config, FilterConfig } from '../../src/config/types.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import type { DeviceSample, KasaDevice } from '../../src/kasa/device.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';

/**
 * `energy_total` never decreases across plug reboots, collector crashes and both at once. A
 * crash is a collector dropped without `stop()` (nothing flushed), a new one started on the
 * same `state.dir`; a power cut is a crash while the plug's counter starts again from 0.
 */

const FILTER: FilterConfig = { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 };
const T0 = 1_700_000_005_000;
/** 2 kW for 10 s, kWh. */
const STEP = (2000 * 10) / 3_600_000;
const flush = () => new Promise((r) => setImmediate(r));

/** A plug whose since-boot counter is whatever the test sets before each tick. */
class Plug {
  energy = 0;
  async poll(): Promise<DeviceSample> {
    return {
      identity: { alias: 'Heater', mac: '50:C7:BF:00:00:07', model: 'KP115(EU)' },
      values: { power: 2000, energy: this.energy, voltage: 230, current: 8.7, state: 'ON' },
      hasEmeter: true,
    };
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** One collector process on `dir`, its clock starting at `startMs`. */
async function start(dir: string, plug: Plug, startMs: number) {
  const clock = new ManualClock(startMs);
  const sink = new RecordingSink();
  const mem = memoryLogger();
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 4, offlineAfter: 3 },
    devices: [{ host: '10.0.0.7', port: 9999, name: 'heater' }],
  };
  const energyTotals = new EnergyTotals({
    dir,
    clock,
    log: mem.log,
    maxPower: FILTER.maxPower,
    minStepS: 10,
  });
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    filter: FILTER,
    energyTotals,
    makeDevice: (c, n) => new PolledDevice(c, n, plug as unknown as KasaDevice),
  });
  await collector.start();
  /** One tick per counter value: the plug reads `e` at that tick. */
  const ticks = async (...energies: number[]) => {
    for (const e of energies) {
      plug.energy = e;
      clock.advance(10_000);
      await flush();
      await flush();
    }
  };
  const published = () => sink.readings.map((r) => r.values.energy_total as number);
  return { collector, ticks, published, mem, clock };
}

/** Counter values from `from`, `n` ticks of 2 kW. */
const climb = (from: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => from + STEP * (i + 1));

function expectNeverDecreases(totals: number[]): void {
  for (let i = 1; i < totals.length; i++) {
    expect(totals[i], `total #${i} of ${JSON.stringify(totals)}`).toBeGreaterThanOrEqual(
      totals[i - 1]!,
    );
  }
}

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'kasa-cut-'));
  dirs.push(d);
  return d;
}

describe('energy_total across plug reboots and collector crashes', () => {
  it('a plug reboot while the collector runs', async () => {
    const plug = new Plug();
    const a = await start(tempDir(), plug, T0);
    await a.ticks(10, ...climb(10, 5), 0.001, ...climb(0.001, 5));
    await a.collector.stop();
    expectNeverDecreases(a.published());
    expect(a.published().at(-1)).toBeCloseTo(10 + 10 * STEP, 9);
  });

  it('a collector crash while the plug keeps counting', async () => {
    const dir = tempDir();
    const plug = new Plug();
    const a = await start(dir, plug, T0);
    await a.ticks(10, ...climb(10, 8)); // crash after 90 s: no stop(), the minute write was one
    const b = await start(dir, plug, T0 + 120_000);
    const last = 10 + 8 * STEP;
    await b.ticks(last + 2 * STEP, ...climb(last + 2 * STEP, 3));
    await b.collector.stop();
    const all = [...a.published(), ...b.published()];
    expectNeverDecreases(all);
    // Nothing lost: the plug's counter covers the time the collector was down.
    expect(all.at(-1)).toBeCloseTo(10 + 13 * STEP, 9);
  });

  it('a power cut: the plug and the collector restart together', async () => {
    const dir = tempDir();
    const plug = new Plug();
    const a = await start(dir, plug, T0);
    // 10 → 10.092 kWh over 17 ticks, the last ones after the once-a-minute write.
    await a.ticks(10, ...climb(10, 16));
    const b = await start(dir, plug, T0 + 300_000);
    await b.ticks(0.002, ...climb(0.002, 40));
    await b.collector.stop();
    const all = [...a.published(), ...b.published()];
    expectNeverDecreases(all);
    // It holds at what was published, then counts again: the lost part is not made up.
    expect(b.published().at(-1)).toBeGreaterThan(a.published().at(-1)!);
    expect(b.published().at(-1)).toBeLessThan(a.published().at(-1)! + 41 * STEP);
  });

  it('a plug reboot seen, then a crash before the next write, then a restart', async () => {
    const dir = tempDir();
    const plug = new Plug();
    const a = await start(dir, plug, T0);
    await a.ticks(10, ...climb(10, 7)); // the once-a-minute write came at 70 s
    await a.ticks(0.001, ...climb(0.001, 2)); // the plug rebooted at 90 s; crash at 115 s
    const b = await start(dir, plug, T0 + 120_000);
    await b.ticks(...climb(0.001 + 2 * STEP, 3));
    await b.collector.stop();
    const all = [...a.published(), ...b.published()];
    expectNeverDecreases(all);
    // The plug did not reboot again: all it counted after its reboot is there.
    expect(all.at(-1)).toBeCloseTo(10 + 7 * STEP + 5 * STEP, 9);
  });

  it('two power cuts in a row keep the floor', async () => {
    const dir = tempDir();
    const plug = new Plug();
    const a = await start(dir, plug, T0);
    await a.ticks(10, ...climb(10, 16));
    const b = await start(dir, plug, T0 + 300_000);
    await b.ticks(0.002, 0.002 + STEP);
    const c = await start(dir, plug, T0 + 600_000);
    await c.ticks(0.001, ...climb(0.001, 3));
    await c.collector.stop();
    expectNeverDecreases([...a.published(), ...b.published(), ...c.published()]);
  });
});
