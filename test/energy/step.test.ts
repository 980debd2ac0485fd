import { describe, expect, it } from 'vitest';
import {
  JUMP_SLACK_KWH,
  maxLifetimeKWh,
  maxStepKWh,
  publishedTotal,
  stepTotal,
  type DeviceTotal,
  type StepKind,
} from '../../src/energy/step.js';

const T = 1_700_000_000;

describe('stepTotal', () => {
  const prev: DeviceTotal = { total: 10, last: 2, updated: T };
  it.each<[string, DeviceTotal | undefined, number, StepKind, number]>([
    ['first reading starts at the plug counter', undefined, 2.5, 'first', 2.5],
    ['first reading of a freshly booted plug', undefined, 0, 'first', 0],
    ['increase adds the delta', prev, 2.25, 'increase', 10.25],
    ['steady adds nothing', prev, 2, 'steady', 10],
    ['reset to 0 adds nothing', prev, 0, 'reset', 10],
    ['any drop adds nothing', prev, 1.999, 'reset', 10],
  ])('%s', (_what, before, energy, kind, total) => {
    const r = stepTotal(before, energy, T + 10);
    expect(r.kind).toBe(kind);
    expect(r.entry).toEqual({ total, last: energy, updated: T + 10 });
  });

  it('does not modify the previous entry', () => {
    const before = { ...prev };
    stepTotal(before, 3, T + 10);
    expect(before).toEqual(prev);
  });

  it('with maxPower, a step larger than the plug could count is a jump', () => {
    const r = stepTotal(prev, 2 + 5, T + 10, 4000);
    expect(r).toEqual({ entry: { total: 10, last: 7, updated: T + 10 }, kind: 'jump', added: 0 });
  });

  it('with maxPower, a large step after a long gap is plausible', () => {
    // 3 kWh in an hour is 3 kW average: below maxPower 4000 W.
    const r = stepTotal(prev, 5, T + 3600, 4000);
    expect(r.kind).toBe('increase');
    expect(r.entry.total).toBe(13);
  });

  it('a tick earlier than the last one (wall clock stepped back) still allows one gap of energy', () => {
    // 4 kW for 10 s is 11.1 Wh: more than the slack alone, within one 10 s gap at 2 × 4 kW.
    const energy = 2 + 0.0111;
    expect(stepTotal(prev, energy, T - 3590, 4000).kind).toBe('jump');
    const r = stepTotal(prev, energy, T - 3590, 4000, 10);
    expect(r.kind).toBe('increase');
    expect(r.entry).toMatchObject({ last: energy, updated: T - 3590 });
    expect(r.entry.total).toBeCloseTo(10.0111, 12);
  });

  it('maxStepKWh: maxPower × 2 × elapsed, plus slack, never below the slack', () => {
    expect(maxStepKWh(3600, 1000)).toBeCloseTo(2 + JUMP_SLACK_KWH, 12);
    expect(maxStepKWh(4000, -50)).toBe(JUMP_SLACK_KWH);
  });

  it.each([-0.001, Number.NaN, Number.POSITIVE_INFINITY])('rejects energy %s', (e) => {
    expect(() => stepTotal(prev, e, T)).toThrow(RangeError);
  });

  it('the time measured on the monotonic clock widens the bound when the tick times went back', () => {
    // 60 s of 4 kW (0.0667 kWh) while the wall clock was stepped back an hour.
    const energy = 2 + (4000 * 60) / 3_600_000;
    expect(stepTotal(prev, energy, T - 3540, 4000, 10).kind).toBe('jump');
    expect(stepTotal(prev, energy, T - 3540, 4000, 10, 60).kind).toBe('increase');
  });

  it('maxLifetimeKWh: maxPower for 20 years', () => {
    expect(maxLifetimeKWh(4000)).toBe(701_280);
  });
});

describe('stepTotal on an entry read back from the file (ceiling) and its floor', () => {
  const restored: DeviceTotal = { total: 10, last: 2, updated: T, ceiling: 10.05 };
  it.each<[string, number, StepKind, DeviceTotal]>([
    [
      'a reset: the plug rebooted since the file was written, the ceiling becomes the floor',
      0.001,
      'reset',
      { total: 10, last: 0.001, updated: T + 10, floor: 10.05 },
    ],
    [
      'an increase: the saved counter still holds, the ceiling is dropped',
      2.004,
      'increase',
      { total: 10.004, last: 2.004, updated: T + 10 },
    ],
    ['steady: likewise', 2, 'steady', { total: 10, last: 2, updated: T + 10 }],
    [
      'a jump settles nothing: the ceiling stays',
      500,
      'jump',
      { total: 10, last: 500, updated: T + 10, ceiling: 10.05 },
    ],
  ])('%s', (_what, energy, kind, entry) => {
    const r = stepTotal(restored, energy, T + 10, 4000);
    expect(r.kind).toBe(kind);
    expect(r.entry).toEqual(entry);
  });

  it('the published total holds at the floor until the counted total passes it', () => {
    let e = stepTotal(restored, 0, T + 10, 4000).entry;
    const published = [publishedTotal(e)];
    for (let i = 1; i <= 8; i++) {
      e = stepTotal(e, i * 0.01, T + 10 + 10 * i, 4000, 10).entry;
      published.push(publishedTotal(e));
    }
    expect(published.slice(0, 6)).toEqual([10.05, 10.05, 10.05, 10.05, 10.05, 10.05]);
    expect(published[6]).toBeCloseTo(10.06, 12);
    expect(e.floor).toBeUndefined();
  });
});
