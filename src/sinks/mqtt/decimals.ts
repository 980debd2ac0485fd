/**
 * Rounding a measured value to a number of decimal places, and its text, as the MQTT messages
 * carry it. The reference is `Number(value.toFixed(decimals))`, then `String()` of that number
 * (ECMAScript's Number::toString, what `JSON.stringify` writes): it rounds the binary value
 * exactly (`0.1 + 0.2` → `0.3`, `230.1234` → `230.123`). Both are slow for what they do (a
 * string, parsed back, printed again), and every reading runs them for each field, so the
 * common case takes a shorter way with the same result:
 *
 * - `m = value × 10^decimals`, when |m| < 2^31: its rounding error is below 2^31 × 2^-53 ≈
 *   2.4e-7, so unless `m` is within 1e-6 of a half, `Math.round(m)` is the integer `k` that
 *   `toFixed` picks (the one nearest to the exact binary value);
 * - `k / 10^decimals` is then the double nearest to that decimal (IEEE division of two exactly
 *   represented integers is correctly rounded), which is what `Number()` of `toFixed`'s text
 *   gives;
 * - and its shortest round-trip text (what `String()` prints) is the decimal `k / 10^decimals`
 *   with trailing zeros removed: it has at most 10 significant digits, and two decimals of at
 *   most 15 digits never share a double. Up to 6 places, no such number below 1 prints with
 *   an exponent (`String(1e-6)` is `0.000001`).
 *
 * Anything else (near a half, large values, more than 6 places) takes the reference way.
 */

/** 10^d for the places the shorter way handles. */
const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000] as const;
const MAX_FAST_DECIMALS = POW10.length - 1;
const FAST_LIMIT = 2 ** 31;
/** How close to a half `m` may come before the shorter way cannot tell which way it rounds. */
const HALF_MARGIN = 1e-6;

/**
 * `value` rounded to `decimals` places, times 10^decimals (an integer), when the shorter way
 * above can tell it; else `undefined`.
 */
function scaledRound(value: number, decimals: number): number | undefined {
  if (decimals > MAX_FAST_DECIMALS) return undefined;
  const m = value * (POW10[decimals] as number);
  if (!(m < FAST_LIMIT && m > -FAST_LIMIT)) return undefined;
  const frac = m - Math.trunc(m);
  const fromHalf = frac < 0 ? -frac - 0.5 : frac - 0.5;
  if (fromHalf < HALF_MARGIN && fromHalf > -HALF_MARGIN) return undefined;
  return Math.round(m);
}

/**
 * Rounds a value to `decimals` places as `toFixed` does (the binary value exactly: `0.1 + 0.2` →
 * `0.3`, `230.1234` → `230.123`) and turns `-0` into `0`.
 * @param value a finite number
 * @param decimals places to keep, 0..20
 * @returns the rounded number: `Number(value.toFixed(decimals))`, `-0` as `0`
 */
export function roundTo(value: number, decimals: number): number {
  const k = scaledRound(value, decimals);
  if (k === undefined) {
    const r = Number(value.toFixed(decimals));
    return r === 0 ? 0 : r;
  }
  return k === 0 ? 0 : k / (POW10[decimals] as number);
}

/**
 * The text of `roundTo(value, decimals)`, as `String()` and `JSON.stringify` print it.
 * @param value a finite number
 * @param decimals places to keep, 0..20
 * @returns e.g. `230.123` for (230.1234, 3), `0.3` for (0.1 + 0.2, 3), `12` for (12.0001, 3)
 */
export function decimalText(value: number, decimals: number): string {
  const k = scaledRound(value, decimals);
  if (k === undefined) return String(roundTo(value, decimals));
  if (k === 0) return '0';
  const p = POW10[decimals] as number;
  const sign = k < 0 ? '-' : '';
  const a = k < 0 ? -k : k;
  const whole = Math.floor(a / p);
  let frac = a - whole * p;
  if (frac === 0) return `${sign}${whole}`;
  let places = decimals;
  while (frac % 10 === 0) {
    frac /= 10;
    places--;
  }
  return `${sign}${whole}.${String(frac).padStart(places, '0')}`;
}
