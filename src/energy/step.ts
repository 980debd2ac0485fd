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
 *   The time since the last reading is the longest of: the difference of the two tick times,
 *   the monotonic time between the two readings when both were taken by this process, and the
 *   schedule's shortest gap between ticks. After the wall clock is stepped back, ticks carry
 *   earlier times than the ones before though real time passed (`docs/scheduling.md`), and the
 *   plug's counter kept counting; after a step forward the tick times say more time passed than
 *   did, which only widens the bound for that one step. So a wall-clock step never makes real
 *   consumption look like a glitch, in either direction.
 * - After a restart, a device's saved entry may be older than what was published before the
 *   process ended: the file is written about once a minute, and the plug may have counted
 *   (and been published) since. When the plug's counter also went down meanwhile (a power cut
 *   rebooted both), what it counted before its reboot is gone, and the total would go back. So
 *   the file also keeps a `ceiling` per device: a bound on any total published before the next
 *   write (`totals.ts` writes before publishing above it). The first step after a restart
 *   settles it: a `reset` makes the ceiling a `floor` that the published total does not go
 *   below (it stays flat until the counted total passes it: nothing is added that was not
 *   counted, and the lost part stays lost); any other step shows the plug did not reboot, so
 *   the saved `last` still holds and the ceiling is dropped.
 * - The lifetime total and the since-boot counter are bounded by {@link maxLifetimeKWh}: what
 *   `maxPower` could deliver in {@link LIFETIME_YEARS} years. A larger value is a glitch (a
 *   first reading of 1e308 would otherwise become a total no later reading could undo).
 */

/** What is kept per device. */
export interface DeviceTotal {
  /** Lifetime energy counted, kWh; never decreases. */
  total: number;
  /** The plug's since-boot `energy` at the last step, kWh. */
  last: number;
  /** Tick of the last step, unix s. */
  updated: number;
  /**
   * kWh the published total must not go below: set when a restart finds the plug rebooted and
   * the saved entry older than what was published (see the header); absent once `total`
   * passes it.
   */
  floor?: number;
  /**
   * kWh, only on an entry read back from the file and not yet stepped: the highest total that
   * may have been published after that file was written.
   */
  ceiling?: number;
}

/** The total to publish for an entry: its counted total, or its floor while higher; kWh. */
export function publishedTotal(entry: DeviceTotal): number {
  return entry.floor !== undefined && entry.floor > entry.total ? entry.floor : entry.total;
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

/** Years of `maxPower` that bound a since-boot counter and a lifetime total. */
export const LIFETIME_YEARS = 20;

/**
 * The largest plausible since-boot counter or lifetime total: `maxPower` drawn without a break
 * for {@link LIFETIME_YEARS} years (701,280 kWh at 4,000 W).
 * @param maxPower W, the spike filter's `maxPower`
 * @returns kWh
 */
export function maxLifetimeKWh(maxPower: number): number {
  return (maxPower * LIFETIME_YEARS * 365.25 * 24) / 1000;
}

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
 * @param measuredS s since `prev` was stepped, on monotonic time, when this process stepped
 *   it (undefined for an entry read back from the file)
 * @returns the new entry, what kind of step it was and what it added
 * @throws RangeError when `energy` is negative or not finite (the caller must filter first)
 */
export function stepTotal(
  prev: DeviceTotal | undefined,
  energy: number,
  time: number,
  maxPower?: number,
  minElapsedS = 0,
  measuredS?: number,
): StepResult {
  if (!Number.isFinite(energy) || energy < 0) {
    throw new RangeError(`energy ${String(energy)} kWh is not a finite number ≥ 0`);
  }
  if (prev === undefined) {
    return { entry: { total: energy, last: energy, updated: time }, kind: 'first', added: energy };
  }
  const delta = energy - prev.last;
  if (delta < 0) return moved(prev, energy, time, prev.total, 'reset', 0);
  if (delta === 0) return moved(prev, energy, time, prev.total, 'steady', 0);
  const elapsedS = Math.max(minElapsedS, time - prev.updated, measuredS ?? 0);
  if (maxPower !== undefined && delta > maxStepKWh(maxPower, elapsedS)) {
    return moved(prev, energy, time, prev.total, 'jump', 0);
  }
  return moved(prev, energy, time, prev.total + delta, 'increase', delta);
}

/** The step from `prev` to a new entry for `energy` at `time` with lifetime `total`. */
function moved(
  prev: DeviceTotal,
  energy: number,
  time: number,
  total: number,
  kind: StepKind,
  added: number,
): StepResult {
  const entry: DeviceTotal = { total, last: energy, updated: time };
  // A reset of a restored entry: what was published after the file was written is lost
  // with the plug's old counter, so the published total holds at the ceiling.
  const floor =
    kind === 'reset' && prev.ceiling !== undefined
      ? Math.max(prev.floor ?? 0, prev.ceiling)
      : prev.floor;
  if (floor !== undefined && floor > total) entry.floor = floor;
  // A jump settles nothing: the saved counter may still be the plug's.
  if (kind === 'jump' && prev.ceiling !== undefined) entry.ceiling = prev.ceiling;
  return { entry, kind, added };
}
