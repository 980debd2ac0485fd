import { describe, expect, it } from 'vitest';
import {
  CEILING_SLACK_KWH,
  RATE_WINDOW_S,
  headroomKWh,
  smoothedRate,
} from '../../src/energy/headroom.js';

describe('smoothedRate', () => {
  it('starts at the first step, then moves by elapsed / window towards each new step', () => {
    expect(smoothedRate(undefined, 0.5, 1)).toBe(0.5);
    expect(smoothedRate(1, 0, RATE_WINDOW_S / 4)).toBeCloseTo(0.75, 12);
    expect(smoothedRate(1, 3, 10 * RATE_WINDOW_S)).toBe(3); // a long gap: the last step alone
  });

  it('averages whole-Wh steps at 1 s to the mean draw (100 W: 1 Wh every 36 s)', () => {
    let rate: number | undefined;
    for (let s = 1; s <= 3600; s++) rate = smoothedRate(rate, s % 36 === 0 ? 0.001 : 0, 1);
    const watts = (rate as number) * 3_600_000;
    expect(watts).toBeGreaterThan(50);
    expect(watts).toBeLessThan(200);
  });
});

describe('headroomKWh', () => {
  it('is the rate over the time ahead plus the slack, bounded by maxPower', () => {
    expect(headroomKWh(0, 120, 4000)).toBe(CEILING_SLACK_KWH);
    expect(headroomKWh(100 / 3_600_000, 120, 4000)).toBeCloseTo(CEILING_SLACK_KWH + 0.1 / 30, 12);
    expect(headroomKWh(1, 120, 4000)).toBeCloseTo(CEILING_SLACK_KWH + (4000 * 120) / 3_600_000, 12);
    expect(headroomKWh(1, 120, undefined)).toBe(CEILING_SLACK_KWH + 120);
  });
});
