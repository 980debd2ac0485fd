import { describe, expect, it } from 'vitest';
import {
  HarmonizedSchedule,
  MAX_WAIT_MS,
  currentTick,
  nextTick,
} from '../../src/collector/schedule.js';
import { tickPattern, type TickPattern } from '../../src/config/tick-pattern.js';
import { ManualClock } from '../fakes/manual-clock.js';

/** The UTC grid of a harmonized interval, as the collector builds it from `poll.interval`. */
const every = (intervalS: number): TickPattern => tickPattern({ interval: intervalS });

interface Fired {
  tick: number;
  skipped: number;
  stepS: number;
  /** Monotonic time it fired at, ms. */
  mono: number;
  /** Wall time it fired at, ms. */
  wall: number;
}

/** A started schedule on a manual clock that records every tick. */
function run(ticks: TickPattern, startMs: number) {
  const clock = new ManualClock(startMs);
  const fired: Fired[] = [];
  const schedule = new HarmonizedSchedule(ticks, clock, (tick, skipped, stepS) =>
    fired.push({ tick, skipped, stepS, mono: clock.monotonic(), wall: clock.now() }),
  );
  schedule.start();
  return { clock, fired, schedule, times: () => fired.map((f) => f.tick) };
}

describe('tick arithmetic', () => {
  it.each([
    [1_700_000_003_250, 10, 1_700_000_010],
    [1_700_000_000_000, 10, 1_700_000_010],
    [1_700_000_009_999, 10, 1_700_000_010],
    [1_700_000_000_001, 7, 1_700_000_001],
    [1_700_000_001_000, 300, 1_700_000_100],
  ])('nextTick(%d, %d) = %d', (now, interval, expected) => {
    expect(nextTick(now, interval)).toBe(expected);
    expect(expected % interval).toBe(0);
  });

  it('currentTick is the tick at or before now', () => {
    expect(currentTick(1_700_000_010_000, 10)).toBe(1_700_000_010);
    expect(currentTick(1_700_000_019_999, 10)).toBe(1_700_000_010);
  });
});

describe('HarmonizedSchedule', () => {
  it('fires on exact multiples of the interval since the epoch', () => {
    const { clock, times, schedule } = run(every(10), 1_700_000_003_250);
    clock.advance(6_749);
    expect(times()).toEqual([]);
    clock.advance(1);
    expect(times()).toEqual([1_700_000_010]);
    clock.advance(30_000);
    expect(times()).toEqual([1_700_000_010, 1_700_000_020, 1_700_000_030, 1_700_000_040]);
    schedule.stop();
    clock.advance(60_000);
    expect(times()).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('a late timer fires the tick it was armed for when still within the interval', () => {
    const { clock, fired, schedule } = run(every(10), 1_700_000_005_000);
    clock.set(1_700_000_013_000); // the event loop was blocked 8 s
    clock.advance(0);
    expect(fired.map((f) => [f.tick, f.skipped, f.stepS])).toEqual([[1_700_000_010, 0, 0]]);
    schedule.stop();
  });

  it('skips ticks missed during a stall and reports how many, not as a clock step', () => {
    const { clock, fired, schedule } = run(every(10), 1_700_000_005_000);
    clock.set(1_700_000_042_000);
    clock.advance(0);
    expect(fired.map((f) => [f.tick, f.skipped, f.stepS])).toEqual([[1_700_000_040, 3, 0]]);
    clock.advance(8_000);
    expect(fired.map((f) => [f.tick, f.skipped, f.stepS])[1]).toEqual([1_700_000_050, 0, 0]);
    schedule.stop();
  });

  it('waits instead of firing twice when the wall clock steps back less than an interval', () => {
    const { clock, fired, times, schedule } = run(every(10), 1_700_000_005_000);
    clock.advance(5_000);
    expect(times()).toEqual([1_700_000_010]);
    clock.stepWall(-2_000); // NTP stepped back 2 s; timers are monotonic and keep their delay
    clock.advance(10_000);
    expect(times()).toEqual([1_700_000_010]);
    clock.advance(2_000);
    expect(times()).toEqual([1_700_000_010, 1_700_000_020]);
    // The step is reported with the tick that follows it, once.
    expect(fired.map((f) => f.stepS)).toEqual([0, -2]);
    clock.advance(10_000);
    expect(fired.map((f) => [f.tick, f.stepS])[2]).toEqual([1_700_000_030, 0]);
    schedule.stop();
  });

  it('after a backward step of an hour, ticks keep coming on the corrected clock', () => {
    // A Pi booted with fake-hwclock's stale time an hour ahead; NTP corrects it.
    const { clock, fired, schedule } = run(every(10), 1_700_003_605_000);
    clock.advance(5_000);
    clock.stepWall(-3_600_000);
    clock.advance(30_000);
    expect(fired.map((f) => [f.tick, f.skipped, f.stepS])).toEqual([
      [1_700_003_610, 0, 0],
      [1_700_000_020, 0, -3600], // one interval later, stamped with the corrected time
      [1_700_000_030, 0, 0],
      [1_700_000_040, 0, 0],
    ]);
    for (const f of fired) expect(f.tick * 1000).toBeLessThanOrEqual(f.wall);
    expect(fired.map((f) => f.mono)).toEqual([5_000, 15_000, 25_000, 35_000]);
    schedule.stop();
  });

  it('after a backward step of 30 s, the next tick is one interval later, re-aligned', () => {
    const { clock, fired, schedule } = run(every(10), 1_700_000_005_000);
    clock.advance(5_000);
    clock.stepWall(-30_000);
    clock.advance(20_000);
    expect(fired.map((f) => [f.tick, f.stepS, f.mono])).toEqual([
      [1_700_000_010, 0, 5_000],
      [1_700_000_000 - 10, -30, 15_000],
      [1_700_000_000, 0, 25_000],
    ]);
    schedule.stop();
  });

  it('after a forward step, the next tick is one interval later and says so, with nothing skipped', () => {
    const { clock, fired, schedule } = run(every(10), 1_700_000_005_000);
    clock.advance(5_000);
    clock.stepWall(3_600_000);
    clock.advance(20_000);
    expect(fired.map((f) => [f.tick, f.skipped, f.stepS, f.mono])).toEqual([
      [1_700_000_010, 0, 0, 5_000],
      [1_700_003_620, 0, 3600, 15_000],
      [1_700_003_630, 0, 0, 25_000],
    ]);
    schedule.stop();
  });

  it('steps smaller than a second are clock noise, not steps', () => {
    const { clock, fired, schedule } = run(every(10), 1_700_000_005_000);
    clock.advance(5_000);
    clock.stepWall(-500);
    clock.advance(10_500);
    expect(fired.map((f) => [f.tick, f.stepS])).toEqual([
      [1_700_000_010, 0],
      [1_700_000_020, 0],
    ]);
    schedule.stop();
  });

  it.each([-7_250_000, -3_600_000, -25_000, -10_000, -9_000, -1_500, 1_500, 9_900, 86_400_000])(
    'a %d ms step leaves no hole longer than one interval and no tick in the future',
    (stepMs) => {
      const interval = 10_000;
      const { clock, fired, schedule } = run(every(10), 1_700_000_003_000);
      clock.advance(12_000); // one tick fired at 7 s, the step comes mid-wait
      clock.stepWall(stepMs);
      clock.advance(60_000);
      schedule.stop();
      // The wait armed before the step ends at 17 s: that is when the step is seen.
      const seen = 17_000;
      const after = fired.filter((f) => f.mono >= seen);
      expect(after[0]!.stepS * 1000).toBe(stepMs);
      expect(fired.filter((f) => f.stepS !== 0)).toHaveLength(1);
      // At once, unless the corrected clock is still within the interval just ticked.
      const wait = stepMs < 0 && stepMs >= -interval ? -stepMs : 0;
      expect(after[0]!.mono - seen).toBe(wait);
      for (const [i, f] of fired.entries()) {
        expect(f.tick % 10).toBe(0);
        expect(f.tick * 1000).toBeLessThanOrEqual(f.wall);
        if (i === 0) continue;
        const prev = fired[i - 1] as Fired;
        expect(f.tick).not.toBe(prev.tick);
        if (f.mono > after[0]!.mono) expect(f.mono - prev.mono).toBeLessThanOrEqual(interval);
      }
      expect(after.length).toBeGreaterThanOrEqual(5);
    },
  );

  it('a stall and a step in one wait are both reported', () => {
    const { clock, fired, schedule } = run(every(10), 1_700_000_005_000);
    clock.advance(5_000);
    clock.set(clock.now() + 35_000); // blocked 35 s ...
    clock.stepWall(-60_000); // ... and meanwhile NTP stepped back a minute
    clock.advance(0);
    expect(fired.map((f) => [f.tick, f.skipped, f.stepS])[1]).toEqual([1_699_999_980, 2, -60]);
    schedule.stop();
  });

  it('sees a step within a minute even on a long interval, and re-plans on the new time', () => {
    const { clock, fired, schedule } = run(every(3600), 1_700_000_000_000);
    expect(schedule.next).toBe(1_700_002_800);
    expect(clock.nextTimerIn).toBe(MAX_WAIT_MS);
    clock.advance(30_000);
    clock.stepWall(7_200_000);
    clock.advance(MAX_WAIT_MS);
    // 02:00 of the corrected clock passed before the schedule started: nothing to fire.
    expect(fired).toEqual([]);
    expect(schedule.next).toBe(1_700_010_000);
    clock.advance(2_740_000);
    expect(fired.map((f) => [f.tick, f.stepS, f.mono])).toEqual([[1_700_010_000, 7200, 2_800_000]]);
    schedule.stop();
  });

  it('start twice arms one timer', () => {
    const clock = new ManualClock(0);
    const s = new HarmonizedSchedule(every(5), clock, () => undefined);
    s.start();
    s.start();
    expect(clock.pending).toBe(1);
    s.stop();
    s.stop();
    expect(clock.pending).toBe(0);
  });
});

describe('HarmonizedSchedule with poll.cron', () => {
  const cron = (pattern: string, timezone?: string): TickPattern =>
    tickPattern({ interval: 10, cron: pattern, timezone: timezone ?? '' });
  const iso = (s: number): string => new Date(s * 1000).toISOString();

  it('the UTC interval grid ignores daylight saving time', () => {
    // 2024-03-31 01:00Z: Europe/Berlin jumps from 02:00 to 03:00 local.
    const { clock, fired, schedule } = run(every(900), Date.UTC(2024, 2, 31, 0, 20));
    clock.advance(2 * 3600_000);
    schedule.stop();
    expect(fired.map((f) => iso(f.tick))).toEqual(
      Array.from({ length: 8 }, (_, i) => iso(Date.UTC(2024, 2, 31, 0, 30 + 15 * i) / 1000)),
    );
    expect(fired.every((f) => f.stepS === 0 && f.skipped === 0)).toBe(true);
  });

  it('follows a pattern in its time zone across both daylight saving changes', () => {
    for (const start of [Date.UTC(2024, 2, 31, 0, 10), Date.UTC(2024, 9, 27, 0, 10)]) {
      const { clock, fired, schedule } = run(cron('0 */15 * * * *', 'Europe/Berlin'), start);
      clock.advance(3 * 3600_000);
      schedule.stop();
      // Every quarter hour of real time, local hours skipped or repeated as the zone says:
      // ticks are instants, so a daylight saving change is neither a step nor a stall.
      expect(fired).toHaveLength(12);
      for (const [i, f] of fired.entries()) {
        expect(f.tick % 900).toBe(0);
        expect([f.skipped, f.stepS]).toEqual([0, 0]);
        if (i > 0) expect(f.tick - (fired[i - 1] as Fired).tick).toBe(900);
      }
    }
  });

  it('a daily local time moves with daylight saving time (02:30 that does not exist runs at 03:00)', () => {
    const { clock, fired, schedule } = run(
      cron('0 30 2 * * *', 'Europe/Berlin'),
      Date.UTC(2024, 2, 29, 12),
    );
    clock.advance(3 * 86_400_000);
    schedule.stop();
    expect(fired.map((f) => iso(f.tick))).toEqual([
      '2024-03-30T01:30:00.000Z', // 02:30 CET
      '2024-03-31T01:00:00.000Z', // 03:00 CEST: 02:30 was skipped by the clock change
      '2024-04-01T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('evaluates the pattern in poll.timezone: on the hour in India is :30 UTC', () => {
    const { clock, fired, schedule } = run(
      cron('0 0 * * * *', 'Asia/Kolkata'),
      Date.UTC(2024, 0, 1, 0, 0),
    );
    clock.advance(2 * 3600_000);
    schedule.stop();
    expect(fired.map((f) => iso(f.tick))).toEqual([
      '2024-01-01T00:30:00.000Z',
      '2024-01-01T01:30:00.000Z',
    ]);
  });

  it('waits a month for a monthly pattern in waits of at most a minute', () => {
    const { clock, fired, schedule } = run(cron('0 0 0 1 * *', 'UTC'), Date.UTC(2024, 0, 15));
    expect(clock.nextTimerIn).toBe(MAX_WAIT_MS);
    clock.advance(50 * 86_400_000);
    schedule.stop();
    expect(fired.map((f) => iso(f.tick))).toEqual([
      '2024-02-01T00:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ]);
  });

  it('a step back on a daily pattern re-aligns without firing the same day twice', () => {
    const { clock, fired, schedule } = run(cron('0 0 12 * * *', 'UTC'), Date.UTC(2024, 0, 1, 11));
    clock.advance(3600_000);
    expect(fired.map((f) => iso(f.tick))).toEqual(['2024-01-01T12:00:00.000Z']);
    clock.stepWall(-2 * 3600_000); // wall 10:00 again
    clock.advance(25 * 3600_000); // past 12:00 again, up to 11:00 the next day
    expect(fired.map((f) => iso(f.tick))).toEqual(['2024-01-01T12:00:00.000Z']);
    clock.advance(3600_000);
    expect(fired.map((f) => [iso(f.tick), f.stepS])).toEqual([
      ['2024-01-01T12:00:00.000Z', 0],
      ['2024-01-02T12:00:00.000Z', -7200],
    ]);
    schedule.stop();
  });

  it('calls onEnd once, after the last tick, and arms nothing when the pattern has no run left', () => {
    const clock = new ManualClock(Date.UTC(2030, 11, 31, 23, 59, 50));
    const events: (number | 'end')[] = [];
    const s = new HarmonizedSchedule(
      cron('0 0 0 1 1 * 2031', 'UTC'),
      clock,
      (t) => events.push(t),
      () => events.push('end'),
    );
    s.start();
    clock.advance(20_000);
    expect(events).toEqual([Date.UTC(2031, 0, 1) / 1000, 'end']);
    expect(clock.pending).toBe(0);
    expect(s.next).toBe(0);
  });
});
