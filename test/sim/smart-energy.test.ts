import { describe, expect, it } from 'vitest';
import { EnergyCounters, energyAnswer, type EnergyUnit } from '../../src/sim/smart-energy.js';
import { SMART_PROFILES } from '../../src/sim/smart-profiles.js';

const sample = { voltage: 230.4, current: 0.5, power: 100.25, energy: 2.5 };

function unit(over: Partial<EnergyUnit> = {}): EnergyUnit {
  return {
    sample,
    counters: { day: '2026-01-02', dayStartKWh: 2, month: '2026-01', monthStartKWh: 1 },
    onTimeS: 125,
    localTime: '2026-01-02 10:00:00',
    outlet: false,
    ...over,
  };
}

describe('EnergyCounters', () => {
  it('starts from 0 and rolls the day, then the month, over at local midnight', () => {
    const c = new EnergyCounters();
    expect(c.at(0, 1.5, '2026-01-31T23:59:00.000Z')).toMatchObject({
      dayStartKWh: 0,
      monthStartKWh: 0,
    });
    expect(c.at(0, 1.7, '2026-01-31T23:59:30.000Z')).toMatchObject({ dayStartKWh: 0 });
    expect(c.at(0, 1.8, '2026-02-01T00:00:10.000Z')).toMatchObject({
      day: '2026-02-01',
      dayStartKWh: 1.8,
      month: '2026-02',
      monthStartKWh: 1.8,
    });
    expect(c.at(0, 2.0, '2026-02-02T00:00:10.000Z')).toMatchObject({
      dayStartKWh: 2.0,
      monthStartKWh: 1.8,
    });
  });

  it('keeps each unit apart', () => {
    const c = new EnergyCounters();
    c.at(0, 1, '2026-01-01T00:00:00.000Z');
    expect(c.at(1, 5, '2026-01-02T00:00:00.000Z')).toMatchObject({ dayStartKWh: 0 });
  });
});

describe('energyAnswer', () => {
  it('answers get_energy_usage in Wh since the counters, power in mW', () => {
    expect(energyAnswer(SMART_PROFILES.p110, 'get_energy_usage', unit())).toEqual({
      error_code: 0,
      result: {
        today_runtime: 2,
        month_runtime: 2,
        today_energy: 500,
        month_energy: 1500,
        local_time: '2026-01-02 10:00:00',
        electricity_charge: [0, 0, 0],
        current_power: 100250,
      },
    });
  });

  it('leaves current_power out for a strip outlet', () => {
    const a = energyAnswer(SMART_PROFILES.p304m, 'get_energy_usage', unit({ outlet: true }));
    expect(a.result).not.toHaveProperty('current_power');
  });

  it('answers get_current_power in whole W and get_emeter_data in mV, mA, mW, Wh', () => {
    expect(energyAnswer(SMART_PROFILES.p110, 'get_current_power', unit()).result).toEqual({
      current_power: 100,
    });
    expect(energyAnswer(SMART_PROFILES.p110, 'get_emeter_data', unit()).result).toEqual({
      voltage_mv: 230400,
      current_ma: 500,
      power_mw: 100250,
      energy_wh: 1500,
    });
  });

  it('says unknown method for what the model lacks', () => {
    expect(energyAnswer(SMART_PROFILES.kp125m, 'get_emeter_data', unit()).error_code).toBe(-1002);
    expect(energyAnswer(SMART_PROFILES.p110v1, 'get_current_power', unit()).error_code).toBe(-1002);
    expect(energyAnswer(SMART_PROFILES.p110, 'get_device_info', unit()).error_code).toBe(-1002);
  });
});
