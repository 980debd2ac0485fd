import { describe, expect, it } from 'vitest';
import { HISTORY_S, PowerHistory } from '../../../src/sinks/status/ring.js';

describe('power history ring', () => {
  it.each([1, 10, 7])(
    'holds at most one hour at a %i s interval, one value per tick',
    (interval) => {
      const ring = new PowerHistory(interval);
      const t0 = 1_700_000_000 - (1_700_000_000 % interval);
      const ticks = Math.ceil(HISTORY_S / interval) * 3;
      for (let i = 0; i < ticks; i++) ring.push(t0 + i * interval, i);
      expect(ring.size).toBe(Math.ceil(HISTORY_S / interval));
      const nowS = t0 + (ticks - 1) * interval;
      const points = ring.points(nowS);
      expect(points.every(([t]) => t >= nowS - HISTORY_S)).toBe(true);
      expect(points.at(-1)).toEqual([nowS, ticks - 1]);
      expect(points.map(([t]) => t)).toEqual([...points.map(([t]) => t)].sort((a, b) => a - b));
    },
  );

  it('replaces the value of a tick seen twice (a re-poll after a relay command)', () => {
    const ring = new PowerHistory(10);
    ring.push(1000, 5);
    ring.push(1003, 7); // same 10 s slot
    ring.push(1010, 9);
    expect(ring.points(1010)).toEqual([
      [1003, 7],
      [1010, 9],
    ]);
  });

  it('starts afresh when the clock goes back, and ignores non-finite values', () => {
    const ring = new PowerHistory(10);
    ring.push(2000, 1);
    ring.push(2010, 2);
    ring.push(1500, 3);
    ring.push(1510, Number.NaN);
    expect(ring.points(1510)).toEqual([[1500, 3]]);
    expect(ring.last()).toEqual([1500, 3]);
  });

  it('leaves out points older than an hour when read', () => {
    const ring = new PowerHistory(60);
    ring.push(0, 1);
    ring.push(3000, 2);
    expect(ring.points(3700)).toEqual([[3000, 2]]);
  });
});
