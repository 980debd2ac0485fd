import { describe, expect, it } from 'vitest';
import {
  JUMP_SLACK_KWH,
  maxStepKWh,
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
});
