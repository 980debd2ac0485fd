/**
 * One step of a lifetime energy counter kept from a plug's since-boot counter; pure.
 *
 * A Kasa plug's `total` is energy since the plug booted, not a lifetime meter: it returns to 0
 * after a power loss (home-assistant/core#40078, #69828). Published as is, that drop breaks Home
 * Assistant's Energy dashboard, which treats a drop of more than 10% on a `total_increasing` sensor
 * as a meter reset and a smaller one as an error (home-assistant/core#54309, #89134, #121255). So
 * the collector keeps its own counter that only ever adds the plug's positive steps.
 *
 * The policy, and what it costs:
 * - First reading ever of a device: the total starts at the plug's current `energy`, so the
 *   lifetime counter is at least what the plug has counted since its boot (everything before
 *   that boot is unknowable).
 * - `energy > last`: the difference is added.
 * - `energy < last`: a reset (plug reboot) or a dip (legacy float noise): nothing is added for
 *   that step and `last` follows the plug down. Any drop is treated the same way, with no
 *   threshold to tune. The cost: after a reboot the energy counted between the last reading
 *   before it and the first after it is lost (at most one tick's worth while the collector runs;
 *   the post-boot part while it was down); after a dip, the dip's size is counted again when the
 *   plug climbs back (1e-10 kWh for float noise).
 * - `energy - last` larger than `maxPower` could deliver in the time since the last reading
 *   (with a wide margin): a counter glitch, not consumption. Nothing is added and `last`
 *   follows, so a one-reading glitch is not counted on the way up nor on the way back down.
 *   A lifetime counter that never decreases cannot be repaired after the fact, hence this guard.
 *   The time since the last reading is taken as at least the schedule's shortest gap between
 *   ticks: after the wall clock is stepped back, ticks carry earlier times than the ones before
 *   though real time passed (`docs/scheduling.md`), and the plug's counter kept counting.
 */

/** What is kept per device. */
export interface DeviceTotal {
  /** Lifetime energy, kWh; never decreases. */
  total: number;
  /** The plug's since-boot `energy` at the last step, kWh. */
  last: number;
  /** Tick of the last step, unix s. */
  updated: number;
}

/** What a step was. */
export type StepKind = 'first' | 'increase' | 'steady' | 'reset' | 'jump';

/** The outcome of {@link stepTotal}. */
export interface StepResult {
  /** The new entry (a new object; the previous one is not modified). */
  entry: DeviceTotal;
  kind: StepKind;
  /** kWh added to the total by this step (0 unless `increase`, or `first`: the start value). */
  added: number;
}

/** How much more than `maxPower` × elapsed time a step may show before it is a glitch. */
export const JUMP_FACTOR = 2;

/**
 * kWh a step may always show, whatever the elapsed time: unit-suffixed firmware counts whole Wh
 * (a step can overshoot by one), and a clock stepped backwards leaves no elapsed time.
 */
export const JUMP_SLACK_KWH = 0.01;

/**
 * The largest plausible increase of the since-boot counter.
 * @param maxPower W, the spike filter's `maxPower`
 * @param elapsedS s since the last step (a negative value counts as 0)
 * @returns kWh
 */
export function maxStepKWh(maxPower: number, elapsedS: number): number {
  return (maxPower * JUMP_FACTOR * Math.max(0, elapsedS)) / 3_600_000 + JUMP_SLACK_KWH;
}

/**
 * Advances a device's lifetime total by one reading (policy in this file's header).
 * @param prev the device's entry, `undefined` for its first reading ever
 * @param energy the plug's since-boot counter, kWh, finite and ≥ 0 (the spike filter ran)
 * @param time the reading's tick, unix s
 * @param maxPower W; when given, an increase larger than {@link maxStepKWh} is a `jump`
 * @param minElapsedS s: the elapsed time the bound assumes at least (the shortest gap between
 *   ticks), whatever the two tick times say; default 0
 * @returns the new entry, what kind of step it was and what it added
 * @throws RangeError when `energy` is negative or not finite (the caller must filter first)
 */
export function stepTotal(
  prev: DeviceTotal | undefined,
  energy: number,
  time: number,
  maxPower?: number,
  minElapsedS = 0,
): StepResult {
  if (!Number.isFinite(energy) || energy < 0) {
    throw new RangeError(`energy ${String(energy)} kWh is not a finite number ≥ 0`);
  }
  if (prev === undefined) {
    return { entry: { total: energy, last: energy, updated: time }, kind: 'first', added: energy };
  }
  const delta = energy - prev.last;
  const moved = (total: number, kind: StepKind, added: number): StepResult => ({
    entry: { total, last: energy, updated: time },
    kind,
    added,
  });
  if (delta < 0) return moved(prev.total, 'reset', 0);
  if (delta === 0) return moved(prev.total, 'steady', 0);
  const elapsedS = Math.max(minElapsedS, time - prev.updated);
  if (maxPower !== undefined && delta > maxStepKWh(maxPower, elapsedS)) {
    return moved(prev.total, 'jump', 0);
  }
  return moved(prev.total + delta, 'increase', delta);
}
