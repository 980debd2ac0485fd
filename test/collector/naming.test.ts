import { describe, expect, it } from 'vitest';
import { NAME_PATTERN } from '../../src/reading.js';
import {
  addressNames,
  derivedNames,
  deviceName,
  firstFree,
  slugify,
} from '../../src/collector/naming.js';

describe('slugify', () => {
  it.each([
    ['Fridge', 'fridge'],
    ['Küche Kühlschrank #2', 'kuche_kuhlschrank_2'],
    ['  Washing/Machine+#  ', 'washing_machine'],
    ['a\u0000b', 'a_b'],
    ['___', ''],
    ['x'.repeat(100), 'x'.repeat(64)],
  ])('%j → %j', (input, out) => {
    expect(slugify(input)).toBe(out);
  });
});

describe('deviceName', () => {
  it('prefers the configured name, then alias, then MAC, then host', () => {
    expect(deviceName('desk', 'Fridge', '50:C7:BF:01:02:03', '10.0.0.2')).toBe('desk');
    expect(deviceName(undefined, 'Fridge', '50:C7:BF:01:02:03', '10.0.0.2')).toBe('fridge');
    expect(deviceName(undefined, '###', '50:C7:BF:01:02:03', '10.0.0.2')).toBe('50c7bf010203');
    expect(deviceName(undefined, undefined, undefined, '10.0.0.2')).toBe('10_0_0_2');
  });

  it('never picks a reserved name from an alias', () => {
    expect(deviceName(undefined, 'Bridge', '50:C7:BF:01:02:03', 'h')).toBe('50c7bf010203');
  });

  it('always yields a topic-safe name', () => {
    for (const alias of ['a/b', '+', '#', 'ü', '', 'Ω']) {
      expect(deviceName(undefined, alias, undefined, '::1')).toMatch(NAME_PATTERN);
    }
  });
});

describe('derivedNames', () => {
  it.each([
    [
      { alias: 'Fridge', mac: '50:C7:BF:01:02:03', deviceId: '8006ABCDEF0123456789' },
      ['fridge', 'fridge_50c7bf010203', 'fridge_ef0123456789', 'fridge_10_0_0_2_9999'],
    ],
    [{ mac: '50-C7-BF-01-02-03' }, ['50c7bf010203', '50c7bf010203_10_0_0_2_9999']],
    [{ alias: 'Bridge', mac: '' }, ['10_0_0_2', '10_0_0_2_10_0_0_2_9999']],
    [{ alias: 'Lamp', mac: '00:00:00:00:00:00' }, ['lamp', 'lamp_10_0_0_2_9999']],
  ])('%j → %j', (identity, names) => {
    expect(derivedNames(identity, '10.0.0.2', 9999)).toEqual(names);
  });

  it('cuts the base, never the suffix, to stay within 64 characters', () => {
    const names = derivedNames({ alias: 'x'.repeat(80), mac: '50:C7:BF:01:02:03' }, 'h', 1);
    for (const n of names) expect(n).toMatch(NAME_PATTERN);
    expect(names[1]).toBe(`${'x'.repeat(51)}_50c7bf010203`);
  });
});

describe('addressNames and firstFree', () => {
  it('stands a plug in under its host, else host_port', () => {
    expect(addressNames('fridge.lan', 9999)).toEqual(['fridge_lan', 'fridge_lan_9999']);
    expect(addressNames('::1', 9999)).toEqual(['1', '1_9999']);
  });

  it('takes the first free candidate, never a reserved one, and numbers when all are taken', () => {
    expect(firstFree(['a', 'b'], new Set(['a']))).toBe('b');
    expect(firstFree(['bridge', 'b'], new Set())).toBe('b');
    expect(firstFree(['a', 'b'], new Set(['a', 'b', 'a_2']))).toBe('a_3');
  });
});
