import { describe, expect, it } from 'vitest';
import { copyValues, sameIdentity, type PlugIdentity } from '../src/reading.js';

describe('sameIdentity', () => {
  const base: PlugIdentity = {
    alias: 'Fridge',
    model: 'HS110(EU)',
    hw_ver: '2.0',
    sw_ver: '1.5.4',
    mac: 'AA:BB:CC:DD:EE:FF',
    deviceId: '8006F0A1',
    transport: 'xor',
  };

  it('is true for equal values in different objects, absent and undefined alike', () => {
    expect(sameIdentity(base, { ...base })).toBe(true);
    expect(sameIdentity({ alias: 'x' }, { alias: 'x', model: undefined })).toBe(true);
    expect(sameIdentity({}, {})).toBe(true);
  });

  it.each(Object.keys(base) as (keyof PlugIdentity)[])('is false when %s differs', (field) => {
    expect(sameIdentity(base, { ...base, [field]: 'other' })).toBe(false);
    const { [field]: _gone, ...without } = base;
    expect(sameIdentity(base, without)).toBe(false);
  });
});

describe('copyValues', () => {
  it('copies every field in order into a new object, leaving the original alone', () => {
    const values = { state: 'ON' as const, rssi: -60, voltage: 230.1, power: 12.5, energy: 1.2 };
    const copy = copyValues(values);
    expect(copy).not.toBe(values);
    expect(Object.entries(copy)).toEqual(Object.entries(values));
    copy.energy_total = 3;
    expect(values).not.toHaveProperty('energy_total');
  });
});
