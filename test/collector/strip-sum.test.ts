import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../src/reading.js';
import { sumOutlets } from '../../src/collector/strip-sum.js';

/** A power strip's own values from its outlets' (`src/collector/strip-sum.ts`). */
describe('sumOutlets', () => {
  const kettle: Measurement = {
    power: 2000,
    current: 8.75,
    energy: 1.5,
    energy_total: 10,
    voltage: 230,
    state: 'ON',
  };
  const tv: Measurement = {
    power: 80.5,
    current: 0.375,
    energy: 0.25,
    energy_total: 2.5,
    voltage: 232,
    state: 'ON',
  };
  const lamp: Measurement = {
    power: 0,
    current: 0,
    energy: 0.125,
    energy_total: 0.5,
    voltage: 231,
    state: 'OFF',
  };

  it('sums power, current, energy and energy_total, and averages voltage', () => {
    expect(sumOutlets([kettle, tv, lamp])).toEqual({
      power: 2080.5,
      current: 9.125,
      energy: 1.875,
      energy_total: 13,
      voltage: 231,
      state: 'ON',
    });
  });

  it('never carries rssi into the sums; state is ON when any outlet is on', () => {
    const out = sumOutlets([
      { ...kettle, rssi: -50 },
      { ...tv, rssi: -60 },
    ]);
    expect(out).not.toHaveProperty('rssi');
    expect(out.state).toBe('ON');
    expect(sumOutlets([lamp, { ...tv, state: 'OFF' }]).state).toBe('OFF');
    const { state: _s, ...unknown } = tv;
    expect(sumOutlets([lamp, unknown])).not.toHaveProperty('state');
  });

  it('leaves out a field that one outlet lacks (a spike removed there), keeping the others', () => {
    const { power: _p, ...noPower } = tv;
    const { voltage: _v, ...noVoltage } = lamp;
    const out = sumOutlets([kettle, noPower, noVoltage]);
    expect(out).not.toHaveProperty('power');
    expect(out).not.toHaveProperty('voltage');
    expect(out).toEqual({ current: 9.125, energy: 1.875, energy_total: 13, state: 'ON' });
  });

  it('leaves out energy_total when one outlet has none yet, rather than a low total', () => {
    const { energy_total: _e, ...fresh } = lamp;
    const out = sumOutlets([kettle, tv, fresh]);
    expect(out).not.toHaveProperty('energy_total');
    expect(out.energy).toBe(1.875);
  });

  it('is empty for no outlets, and only a state for outlets without emeter values (KP303)', () => {
    expect(sumOutlets([])).toEqual({});
    expect(sumOutlets([{ state: 'OFF' }, { state: 'OFF' }])).toEqual({ state: 'OFF' });
  });

  it('keeps a single outlet as it is', () => {
    expect(sumOutlets([tv])).toEqual({
      power: 80.5,
      current: 0.375,
      energy: 0.25,
      energy_total: 2.5,
      voltage: 232,
      state: 'ON',
    });
  });

  it('does not modify its input', () => {
    const input = [{ ...kettle }, { ...tv }];
    const copy = structuredClone(input);
    sumOutlets(input);
    expect(input).toEqual(copy);
  });
});
