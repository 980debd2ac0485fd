import { describe, expect, it } from 'vitest';
import { HarmonizedSchedule, currentTick, nextTick } from '../../src/collector/schedule.js';
import { ManualClock } from '../fakes/manual-clock.js';

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
    const clock = new ManualClock(1_700_000_003_250);
    const ticks: number[] = [];
    const s = new HarmonizedSchedule(10, clock, (t) => ticks.push(t));
    s.start();
    clock.advance(6_749);
    expect(ticks).toEqual([]);
    clock.advance(1);
    expect(ticks).toEqual([1_700_000_010]);
    clock.advance(30_000);
    expect(ticks).toEqual([1_700_000_010, 1_700_000_020, 1_700_000_030, 1_700_000_040]);
    s.stop();
    clock.advance(60_000);
    expect(ticks).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('a late timer fires the tick it was armed for when still within the interval', () => {
    const clock = new ManualClock(1_700_000_005_000);
    const ticks: number[] = [];
    const s = new HarmonizedSchedule(10, clock, (t) => ticks.push(t));
    s.start();
    clock.set(1_700_000_013_000); // the event loop was blocked 8 s
    clock.advance(0);
    expect(ticks).toEqual([1_700_000_010]);
    s.stop();
  });

  it('skips ticks missed during a stall and reports how many', () => {
    const clock = new ManualClock(1_700_000_005_000);
    const seen: [number, number][] = [];
    const s = new HarmonizedSchedule(10, clock, (t, skipped) => seen.push([t, skipped]));
    s.start();
    clock.set(1_700_000_042_000);
    clock.advance(0);
    expect(seen).toEqual([[1_700_000_040, 3]]);
    clock.advance(8_000);
    expect(seen[1]).toEqual([1_700_000_050, 0]);
    s.stop();
  });

  it('waits instead of firing twice when the wall clock steps back', () => {
    const clock = new ManualClock(1_700_000_005_000);
    const ticks: number[] = [];
    const s = new HarmonizedSchedule(10, clock, (t) => ticks.push(t));
    s.start();
    clock.advance(5_000);
    expect(ticks).toEqual([1_700_000_010]);
    clock.stepWall(-2_000); // NTP stepped back 2 s; timers are monotonic and keep their delay
    clock.advance(10_000);
    expect(ticks).toEqual([1_700_000_010]);
    clock.advance(2_000);
    expect(ticks).toEqual([1_700_000_010, 1_700_000_020]);
    s.stop();
  });

  it('start twice arms one timer', () => {
    const clock = new ManualClock(0);
    const s = new HarmonizedSchedule(5, clock, () => undefined);
    s.start();
    s.start();
    expect(clock.pending).toBe(1);
    s.stop();
    s.stop();
    expect(clock.pending).toBe(0);
  });
});
