import { describe, expect, it } from 'vitest';
import { prng } from '../../../src/sim/load.js';
import { decimalText, roundTo } from '../../../src/sinks/mqtt/decimals.js';

/** The reference both functions must match: `toFixed`, parsed back, `-0` as `0`. */
function reference(value: number, decimals: number): number {
  const r = Number(value.toFixed(decimals));
  return r === 0 ? 0 : r;
}

/** Values of the kinds plugs send, and the edges of the shorter way. */
function samples(): number[] {
  const rnd = prng(20261201);
  const out: number[] = [
    0,
    -0,
    0.1 + 0.2,
    230.1234,
    -0.00001,
    1.2345678,
    -60,
    0.0005,
    0.0015,
    1.0005,
    2.5,
    -2.5,
    0.5,
    -0.5,
    1e-6,
    5e-7,
    4.9999999e-7,
    2147.4836475,
    2147.483648,
    2 ** 31,
    -(2 ** 31),
    1e21,
    1e-7,
    123456789.123,
    0.30000000000000004,
    12.0001,
    99.9999995,
    4000,
    3999.9995,
  ];
  for (let i = 0; i < 20_000; i++) {
    const scale = 10 ** Math.floor(rnd() * 12 - 6);
    const v = (rnd() - 0.2) * scale;
    out.push(v);
    // Decimal halves as the plugs' integer mW, mV, mA and Wh make them, and their neighbours.
    const half = (Math.floor(rnd() * 1e6) + 0.5) / 10 ** Math.floor(rnd() * 7);
    out.push(half, half + Number.EPSILON * half, half - Number.EPSILON * half);
    out.push(Math.floor(rnd() * 1e7) / 1000); // whole mW as W
  }
  return out;
}

describe('roundTo and decimalText', () => {
  const values = samples();

  it('roundTo equals Number(toFixed), -0 as 0, for 0 to 8 places', () => {
    let checked = 0;
    for (const v of values) {
      for (let d = 0; d <= 8; d++) {
        const want = reference(v, d);
        const got = roundTo(v, d);
        if (!Object.is(got, want)) expect({ v, d, got }).toEqual({ v, d, got: want });
        checked++;
      }
    }
    expect(checked).toBe(values.length * 9);
  });

  it('decimalText equals String() of the rounded number, for 0 to 8 places', () => {
    let checked = 0;
    for (const v of values) {
      for (let d = 0; d <= 8; d++) {
        const want = String(reference(v, d));
        const got = decimalText(v, d);
        if (got !== want) expect({ v, d, got }).toEqual({ v, d, got: want });
        checked++;
      }
    }
    expect(checked).toBe(values.length * 9);
  });

  it.each([
    [230.1234, 3, '230.123'],
    [0.1 + 0.2, 3, '0.3'],
    [12.0001, 3, '12'],
    [-0.00001, 3, '0'],
    [-60, 0, '-60'],
    [1e-6, 6, '0.000001'],
    [-1.05, 1, '-1.1'],
    [1e21, 3, '1e+21'],
  ])('decimalText(%s, %s) = %s', (v, d, want) => {
    expect(decimalText(v, d)).toBe(want);
  });
});

describe('roundTo', () => {
  it.each([
    [230.1234, 3, 230.123],
    [0.1 + 0.2, 3, 0.3],
    [-0.00001, 3, 0],
    [1.2345678, 6, 1.234568],
    [-60, 0, -60],
  ])('roundTo(%s, %s) = %s', (v, d, want) => {
    expect(Object.is(roundTo(v, d), want)).toBe(true);
  });
});
