import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { Config } from '../../src/config/types.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import type { DeviceSample, KasaDevice } from '../../src/kasa/device.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';

/**
 * The collector across wall-clock steps and stalls, on the manual clock: ticks keep coming, the
 * log tells a step from a stall once, readings carry the corrected time, and the lifetime
 * energy keeps counting.
 */

const T0 = 1_700_003_605_000;
const flush = () => new Promise((r) => setImmediate(r));

/** A plug drawing 4 kW (the spike filter's maximum): its counter grows 11.1 Wh every 10 s. */
class HeaterPlug {
  calls = 0;
  async poll(): Promise<DeviceSample> {
    this.calls++;
    return {
      identity: { alias: 'Heater', mac: '50:C7:BF:00:00:09', model: 'KP115(EU)' },
      values: { power: 4000, energy: (this.calls * 4000 * 10) / 3_600_000, state: 'ON' },
      hasEmeter: true,
    };
  }
}

/**
 * A plug drawing 4 kW whose counter follows real (monotonic) time, whatever the wall clock
 * says; it can be made unreachable, or rebooted (its counter starts again from 0).
 */
class RealTimePlug {
  down = false;
  #bootMs = 0;
  constructor(private readonly clock: ManualClock) {}
  reboot(): void {
    this.#bootMs = this.clock.monotonic();
  }
  async poll(): Promise<DeviceSample> {
    if (this.down) throw new PlugError(PlugErrorCode.TIMEOUT, '10.0.0.9:9999', 'no answer');
    const energy = (4000 * (this.clock.monotonic() - this.#bootMs)) / 1000 / 3_600_000;
    return {
      identity: { alias: 'Heater', mac: '50:C7:BF:00:00:09', model: 'KP115(EU)' },
      values: { power: 4000, energy, state: 'ON' },
      hasEmeter: true,
    };
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function build(makePlug?: (clock: ManualClock) => { poll(): Promise<DeviceSample> }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kasa-step-'));
  dirs.push(dir);
  const clock = new ManualClock(T0);
  const sink = new RecordingSink();
  const mem = memoryLogger();
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 4, offlineAfter: 3 },
    devices: [{ host: '10.0.0.9', port: 9999, name: 'heater' }],
  };
  const energyTotals = new EnergyTotals({
    dir,
    clock,
    log: mem.log,
    maxPower: 4000,
    minStepS: 10,
  });
  const plug = makePlug?.(clock) ?? new HeaterPlug();
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    energyTotals,
    makeDevice: (c, n) => new PolledDevice(c, n, plug as unknown as KasaDevice),
  });
  /** Moves time by `ms` and lets the polls of the ticks that fired settle. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await flush();
    await flush();
  };
  const warnings = () => mem.lines.filter((l) => l['level'] === 40).map((l) => String(l['msg']));
  return { clock, sink, mem, collector, advance, warnings, plug, energyTotals };
}

describe('Collector across wall-clock steps', () => {
  it('a step back of an hour: polling goes on every interval, with the corrected times', async () => {
    const { clock, sink, collector, advance, warnings } = build();
    await collector.start();
    await advance(5_000);
    clock.stepWall(-3_600_000); // NTP corrects a fake-hwclock time an hour ahead
    for (let i = 0; i < 3; i++) await advance(10_000);
    await collector.stop();
    expect(sink.readings.map((r) => r.time)).toEqual([
      1_700_003_610, 1_700_000_020, 1_700_000_030, 1_700_000_040,
    ]);
    expect(warnings()).toEqual([
      'wall clock stepped back 3600 s: ticks re-aligned to the new time',
    ]);
    expect(collector.stats).toMatchObject({ ticks: 4, skippedTicks: 0, clockSteps: 1 });
    // The plug counted 11.1 Wh between every two polls, step or not: none of it is lost.
    const totals = sink.readings.map((r) => r.values.energy_total as number);
    for (let i = 1; i < totals.length; i++) {
      expect((totals[i] as number) - (totals[i - 1] as number)).toBeCloseTo(0.0111, 4);
    }
  });

  it('a step forward is said as such, not as a stall, and skips nothing', async () => {
    const { clock, sink, collector, advance, warnings, mem } = build();
    await collector.start();
    await advance(5_000);
    clock.stepWall(3_600_000);
    await advance(10_000);
    await advance(10_000);
    await collector.stop();
    expect(sink.readings.map((r) => r.time)).toEqual([1_700_003_610, 1_700_007_220, 1_700_007_230]);
    expect(warnings()).toEqual([
      'wall clock stepped forward 3600 s: ticks re-aligned to the new time',
    ]);
    expect(
      mem.lines.find(
        (l) => l['msg'] === 'wall clock stepped forward 3600 s: ticks re-aligned to the new time',
      ),
    ).toMatchObject({ stepS: 3600, tick: 1_700_007_220 });
    expect(collector.stats).toMatchObject({ skippedTicks: 0, clockSteps: 1 });
  });

  it('a stall (wall and monotonic time move together) is skipped ticks, not a step', async () => {
    const { clock, sink, collector, advance, warnings } = build();
    await collector.start();
    await advance(5_000);
    clock.set(clock.now() + 32_000); // the event loop was blocked 32 s
    await advance(0);
    await collector.stop();
    expect(sink.readings.map((r) => r.time)).toEqual([1_700_003_610, 1_700_003_640]);
    expect(warnings()).toEqual(['ticks skipped: the process was stalled']);
    expect(collector.stats).toMatchObject({ skippedTicks: 2, clockSteps: 0 });
  });

  it('a step back within an interval waits for the next tick and never repeats one', async () => {
    const { clock, sink, collector, advance, warnings, plug } = build();
    await collector.start();
    await advance(5_000);
    clock.stepWall(-3_000);
    await advance(10_000);
    expect((plug as HeaterPlug).calls).toBe(1);
    await advance(3_000);
    await collector.stop();
    expect(sink.readings.map((r) => r.time)).toEqual([1_700_003_610, 1_700_003_620]);
    expect(warnings()).toEqual(['wall clock stepped back 3 s: ticks re-aligned to the new time']);
  });
});

describe('Lifetime energy across wall-clock steps', () => {
  /** 4 kW for 10 s, kWh. */
  const TICK_KWH = (4000 * 10) / 3_600_000;
  const totals = (sink: RecordingSink) => sink.readings.map((r) => r.values.energy_total as number);

  it('a step back while the plug was unreachable: what it counted meanwhile is kept', async () => {
    let plug: RealTimePlug | undefined;
    const { clock, sink, collector, advance } = build((c) => (plug = new RealTimePlug(c)));
    await collector.start();
    await advance(5_000);
    await advance(10_000);
    plug!.down = true;
    clock.stepWall(-3_600_000);
    for (let i = 0; i < 5; i++) await advance(10_000);
    plug!.down = false;
    await advance(10_000);
    await advance(10_000);
    await collector.stop();
    const t = totals(sink);
    expect(t).toHaveLength(4);
    // 6 ticks of 4 kW passed between the second and third readings: all of it is counted.
    expect(t[2]! - t[1]!).toBeCloseTo(6 * TICK_KWH, 9);
    expect(t[3]! - t[2]!).toBeCloseTo(TICK_KWH, 9);
  });

  it('a step forward counts what the plug counted, neither more nor less', async () => {
    const { clock, sink, collector, advance } = build((c) => new RealTimePlug(c));
    await collector.start();
    await advance(5_000);
    await advance(10_000);
    clock.stepWall(3_600_000);
    await advance(10_000);
    await advance(10_000);
    await collector.stop();
    const t = totals(sink);
    expect(t).toHaveLength(4);
    for (let i = 1; i < t.length; i++) expect(t[i]! - t[i - 1]!).toBeCloseTo(TICK_KWH, 9);
  });

  it('a step back during a plug reboot: the total holds, then counts on', async () => {
    let plug: RealTimePlug | undefined;
    const { clock, sink, collector, advance } = build((c) => (plug = new RealTimePlug(c)));
    await collector.start();
    await advance(5_000);
    await advance(10_000);
    clock.stepWall(-3_600_000);
    plug!.reboot();
    for (let i = 0; i < 3; i++) await advance(10_000);
    await collector.stop();
    const t = totals(sink);
    expect(sink.readings.map((r) => r.time)).toEqual([
      1_700_003_610, 1_700_003_620, 1_700_000_030, 1_700_000_040, 1_700_000_050,
    ]);
    expect(t[1]! - t[0]!).toBeCloseTo(TICK_KWH, 9);
    // The reboot: what the plug counted since it (10 s) is the documented cost, not more.
    expect(t[2]).toBe(t[1]);
    expect(t[3]! - t[2]!).toBeCloseTo(TICK_KWH, 9);
    expect(t[4]! - t[3]!).toBeCloseTo(TICK_KWH, 9);
  });
});
