/**
 * How far ahead of a device's published `energy_total` the totals file's ceiling is written
 * (`totals.ts`): far enough that a steady draw needs no write before the next scheduled one,
 * near enough that a power cut cannot make a total run far ahead of what the plug counted.
 * Pure.
 */

/**
 * kWh a device's ceiling is always above its published total: the margin for a device that
 * drew nothing lately and starts drawing.
 */
export const CEILING_SLACK_KWH = 0.005;

/**
 * Seconds over which a device's rate is averaged for its headroom. Plugs count energy in whole
 * Wh (`total` with three decimals in kWh, or `total_wh`), so at a 1 s poll a 100 W load reads
 * 0, 0, …, then 1 Wh: a rate taken from the last step alone swings between 0 and 3.6 kW, and
 * every write made while it read 0 left only the slack. The file was then written ahead every
 * few seconds (test/energy/write-rate.test.ts: 200 steady plugs at 1 s, 331 writes in 27
 * minutes; 27 with the rate averaged).
 */
export const RATE_WINDOW_S = 120;

/**
 * The rate averaged over about {@link RATE_WINDOW_S}: an exponentially weighted mean in time.
 * @param previous kWh/s, undefined for a device's first step
 * @param latest the last step's rate, kWh/s
 * @param elapsedS the last step's duration, s (≥ 1)
 * @returns kWh/s
 */
export function smoothedRate(
  previous: number | undefined,
  latest: number,
  elapsedS: number,
): number {
  if (previous === undefined) return latest;
  return previous + (latest - previous) * Math.min(1, elapsedS / RATE_WINDOW_S);
}

/**
 * kWh above its published total a device may reach before the file must be written again.
 * @param rate the device's averaged rate, kWh/s
 * @param aheadS how long the headroom must last, s (two write delays)
 * @param maxPower `filter.maxPower`, W: the most the device could deliver in `aheadS` bounds it
 * @returns kWh: the rate over `aheadS`, bounded, plus {@link CEILING_SLACK_KWH}
 */
export function headroomKWh(rate: number, aheadS: number, maxPower: number | undefined): number {
  const ahead = rate * aheadS;
  const bound = maxPower === undefined ? ahead : (maxPower * aheadS) / 3_600_000;
  return CEILING_SLACK_KWH + Math.min(ahead, bound);
}
