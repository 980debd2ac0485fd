import type { Cron } from 'croner';
import { cronOf, type TickPattern } from '../config/tick-pattern.js';

/**
 * Run times of the tick pattern, from croner. croner only computes here; waiting is the
 * schedule's, on the injected clock (`docs/scheduling.md` says why).
 *
 * All times are wall-clock ms since the Unix epoch; croner's runs are whole seconds.
 */
export class TickSource {
  readonly #cron: Cron;

  /**
   * @param ticks the resolved `poll` pattern (`tickPattern()`)
   * @throws Error from croner when the pattern or time zone is invalid (the config check ran first)
   */
  constructor(readonly ticks: TickPattern) {
    this.#cron = cronOf(ticks);
  }

  /** The first run strictly after `ms`; undefined when the pattern has no run left. */
  after(ms: number): number | undefined {
    return this.#cron.nextRun(new Date(ms))?.getTime();
  }

  /** The latest run at or before `ms`; undefined when there is none. */
  atOrBefore(ms: number): number | undefined {
    // previousRuns() returns runs strictly before its reference (to the ms), hence the +1.
    return this.#cron.previousRuns(1, new Date(ms + 1))[0]?.getTime();
  }

  /**
   * How many runs fall in `[fromMs, toMs]`: ticks a stalled process missed. Exact on the
   * `poll.interval` grid; for `poll.cron`, counted run by run up to {@link COUNT_LIMIT}, then
   * estimated from the mean gap seen (a machine suspended for a day at `* * * * * *` must not
   * block the event loop for seconds counting 86 400 runs).
   */
  count(fromMs: number, toMs: number): number {
    if (toMs < fromMs) return 0;
    const step = this.ticks.intervalS;
    if (step !== undefined) {
      return Math.max(0, (currentTick(toMs, step) - nextTick(fromMs - 1, step)) / step + 1);
    }
    let n = 0;
    let first: number | undefined;
    let at = this.after(fromMs - 1);
    while (at !== undefined && at <= toMs) {
      first ??= at;
      n++;
      if (n === COUNT_LIMIT) {
        const meanGap = (at - first) / (n - 1);
        return n + Math.floor((toMs - at) / meanGap);
      }
      at = this.after(at);
    }
    return n;
  }
}

/**
 * The first tick strictly after `nowMs` on a grid of `intervalS` (what croner's UTC pattern of
 * that interval gives, as arithmetic).
 * @param nowMs ms since the epoch
 * @param intervalS interval, s (integer ≥ 1)
 * @returns tick time, unix s, a multiple of `intervalS`
 */
export function nextTick(nowMs: number, intervalS: number): number {
  return (Math.floor(nowMs / 1000 / intervalS) + 1) * intervalS;
}

/**
 * The latest tick at or before `nowMs` on a grid of `intervalS`.
 * @param nowMs ms since the epoch
 * @param intervalS interval, s
 * @returns tick time, unix s
 */
export function currentTick(nowMs: number, intervalS: number): number {
  return Math.floor(nowMs / 1000 / intervalS) * intervalS;
}

/** Runs of `poll.cron` counted one by one before {@link TickSource.count} estimates the rest. */
export const COUNT_LIMIT = 10_000;
