import { describe, expect, it } from 'vitest';
import { NAME_PATTERN } from '../../src/reading.js';
import { deviceName, slugify } from '../../src/collector/naming.js';

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
