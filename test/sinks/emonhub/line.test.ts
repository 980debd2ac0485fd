import { describe, expect, it } from 'vitest';
import type { FrameInput } from '../../../src/sinks/emonhub/line.js';
import { buildFrame, formatValue, readingToValues } from '../../../src/sinks/emonhub/line.js';
import { emonhubViolations } from '../../fakes/emonhub.js';
import { makeReading } from '../helpers.js';

const good: FrameInput = {
  time: 1_700_000_000,
  node: 27,
  values: [230.1, 0.123, 12.5],
  timestamped: true,
};

describe('buildFrame accepts', () => {
  it.each<[string, FrameInput, string]>([
    ['timestamped', good, '1700000000 27 230.1 0.123 12.5\r\n'],
    ['untimestamped', { ...good, timestamped: false }, '27 230.1 0.123 12.5\r\n'],
    ['node 0 and 255', { ...good, node: 0, values: [1] }, '1700000000 0 1\r\n'],
    ['node 255', { ...good, node: 255, values: [1] }, '1700000000 255 1\r\n'],
    [
      'negative and zero values',
      { ...good, values: [-74, 0, -0, 1] },
      '1700000000 27 -74 0 0 1\r\n',
    ],
    [
      '6 decimals, zeros trimmed',
      { ...good, values: [0.000123, 1.1234567, 2.5] },
      '1700000000 27 0.000123 1.123457 2.5\r\n',
    ],
    [
      'tiny negatives print as 0, never -0',
      { ...good, values: [-0.0000001] },
      '1700000000 27 0\r\n',
    ],
    [
      'large but allowed values, no exponent',
      { ...good, values: [1e14, 123456789012.5] },
      '1700000000 27 100000000000000 123456789012.5\r\n',
    ],
    ['float noise', { ...good, values: [0.1 + 0.2] }, '1700000000 27 0.3\r\n'],
  ])('%s', (_what, input, frame) => {
    expect(buildFrame(input)).toBe(frame);
    expect(emonhubViolations(frame, input.timestamped)).toEqual([]);
  });
});

describe('buildFrame rejects', () => {
  it.each<[string, Partial<FrameInput>, RegExp]>([
    ['NaN', { values: [1, Number.NaN] }, /value #2: emonhub value NaN is not a finite number/],
    ['Infinity', { values: [Number.POSITIVE_INFINITY] }, /not a finite number/],
    ['-Infinity', { values: [Number.NEGATIVE_INFINITY] }, /not a finite number/],
    ['1e21 (would print with an exponent)', { values: [1e21] }, /out of range/],
    ['1e15', { values: [1e15] }, /out of range/],
    ['-1e15', { values: [-1e15] }, /out of range/],
    ['a string smuggled in', { values: ['12' as unknown as number] }, /not a finite number/],
    ['no values', { values: [] }, /no values/],
    ['non-integer node 27.5', { node: 27.5 }, /node 27.5 is not an integer 0\.\.255/],
    ['node 256', { node: 256 }, /node 256/],
    ['negative node', { node: -1 }, /node -1/],
    ['NaN node', { node: Number.NaN }, /node NaN/],
    ['node as string', { node: '27' as unknown as number }, /node 27 is not an integer/],
    ['fractional time', { time: 1_700_000_000.5 }, /time .* not a positive integer/],
    ['zero time', { time: 0 }, /time 0/],
    ['negative time', { time: -5 }, /time -5/],
    [
      'too long (≥ 1024 bytes)',
      { values: Array.from({ length: 80 }, () => 123456789.123456) },
      /must be < 1024/,
    ],
  ])('%s', (_what, patch, message) => {
    expect(() => buildFrame({ ...good, ...patch })).toThrow(message);
  });

  it('checks time even when not timestamped', () => {
    expect(() => buildFrame({ ...good, time: Number.NaN, timestamped: false })).toThrow(/time NaN/);
  });
});

describe('formatValue', () => {
  it.each([
    [230, '230'],
    [230.1, '230.1'],
    [-5.5, '-5.5'],
    [0, '0'],
    [-0, '0'],
    [1e-7, '0'],
    [-1e16, undefined],
  ])('%s → %s', (v, want) => {
    if (want === undefined) expect(() => formatValue(v)).toThrow(/out of range/);
    else expect(formatValue(v)).toBe(want);
  });

  it('only ever emits plain ASCII decimals for random finite values', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let i = 0; i < 2000; i++) {
      const v = rnd() * 10 ** Math.floor(Math.abs(rnd()) * 15 - 6);
      expect(formatValue(v)).toMatch(/^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/);
    }
  });
});

describe('readingToValues', () => {
  const all = ['voltage', 'current', 'power', 'energy', 'state', 'rssi'] as const;
  it('maps fields in configured order, state ON → 1', () => {
    expect(readingToValues(makeReading(), all)).toEqual([230.1, 0.123, 12.5, 1.234, 1, -60]);
  });
  it('maps state OFF → 0', () => {
    expect(readingToValues(makeReading({ values: { state: 'OFF' } }), ['state'])).toEqual([0]);
  });
  it('reports every missing field, never fills a gap', () => {
    const r = makeReading({ values: { state: 'ON', rssi: -70 } });
    expect(readingToValues(r, all)).toEqual({ missing: ['voltage', 'current', 'power', 'energy'] });
  });
  it('treats a non-finite value as missing', () => {
    const r = makeReading({ values: { power: Number.NaN } });
    expect(readingToValues(r, ['power'])).toEqual({ missing: ['power'] });
  });
});
