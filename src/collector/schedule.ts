import type { Clock } from '../clock.js';
import type { TickPattern } from '../config/tick-pattern.js';
import { TickSource } from './tick-source.js';

export { currentTick, nextTick } from './tick-source.js';

/**
 * Harmonized ticks: croner says when (`poll.interval` as a UTC pattern whose runs are exact
 * multiples of the interval since the Unix epoch, or `poll.cron`), this schedule waits for it on
 * the injected {@link Clock}, and every reading of a tick carries the tick's time. Readings of
 * all plugs, and of several collectors, line up (pb66's emonhub script, "Python code to read TP-Link HS110" on
 * community.openenergymonitor.org: "all update timestamps are exact multiple of the interval").
 *
 * croner computes run times only (`nextRun`, `previousRuns`); it arms no timer. Waiting on the
 * injected clock keeps the schedule testable with a manual clock, and lets it compare the wall
 * clock with monotonic time at each wake-up, which is how it tells a wall-clock step from a
 * stall (`docs/scheduling.md`).
 *
 * The rules, applied at every wake-up:
 * - A tick fires when the latest run at or before the wall clock has not been served yet: it
 *   came after the previous tick fired (in the current clock's terms) and is not the previous
 *   tick itself. So a tick is never in the future, never the same as the one before it, and a
 *   daily pattern never fires yesterday's run again.
 * - Stall (the event loop blocked, the process stopped): wall and monotonic time moved together
 *   past several runs. The latest is fired; the missed ones are skipped, not replayed, and
 *   counted.
 * - Wall-clock step (NTP setting the clock, `fake-hwclock` corrected at boot): the wall clock
 *   moved by more than monotonic time did. The grid re-aligns to the corrected clock at once:
 *   after a forward step the latest run is fired without counting the runs jumped over as
 *   skipped; after a backward step the latest run before the corrected time is fired when it
 *   came after the previous tick in true time (so ticks go back in time: the earlier ones were
 *   stamped by a wrong clock), else the next run is waited for. On the `poll.interval` grid no
 *   wait after a step is longer than one interval.
 * - A wait is capped at {@link MAX_WAIT_MS}, so a step is seen within that long even on a
 *   daily pattern (and Node's 24.8-day timer limit is never reached).
 */

/**
 * Called once per tick.
 * @param tickS the tick's time, unix s: what every reading of the tick carries
 * @param skipped runs missed since the previous tick because the process was stalled
 * @param stepS how far the wall clock was stepped since the previous tick, s (negative: back);
 *   0 when it was not. Steps under {@link STEP_TOLERANCE_MS} are ignored.
 */
export type TickHandler = (tickS: number, skipped: number, stepS: number) => void;

/** Longest single wait, ms: how late a wall-clock step can be noticed. */
export const MAX_WAIT_MS = 60_000;

/**
 * Wall and monotonic time may drift apart this much between two wake-ups before it counts as a
 * step, ms. NTP slews a clock by at most 0.5 ms/s, 30 ms over one {@link MAX_WAIT_MS}.
 */
export const STEP_TOLERANCE_MS = 1000;

/** Fires a {@link TickHandler} on each run of the tick pattern; the rules are in this file's header. */
export class HarmonizedSchedule {
  readonly #source: TickSource;
  #timer: unknown;
  #running = false;
  /** The run waited for, ms; undefined when the pattern has no run left. */
  #next: number | undefined;
  /** The tick fired last, ms. */
  #last: number | undefined;
  /**
   * Wall time up to which runs count as served, ms: when the last tick fired (or the schedule
   * started), moved with every wall-clock step so it stays in the current clock's terms.
   */
  #servedUntil = 0;
  /** Wall and monotonic time when the current wait was armed, ms. */
  #armedWall = 0;
  #armedMono = 0;
  /** Skipped runs and wall-clock steps seen since the last tick, to report with the next one. */
  #skipped = 0;
  #stepMs = 0;

  /**
   * @param ticks the resolved `poll` pattern (`tickPattern()` in `config/tick-pattern.ts`)
   * @param clock time source and timers
   * @param onTick handler; must not throw (exceptions are the caller's bug and are not caught)
   * @param onEnd called once when the pattern has no run left (a `poll.cron` with a last year)
   */
  constructor(
    ticks: TickPattern,
    private readonly clock: Clock,
    private readonly onTick: TickHandler,
    private readonly onEnd: () => void = () => undefined,
  ) {
    this.#source = new TickSource(ticks);
  }

  /** Arms the wait for the next run. Calling it twice has no effect. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const now = this.clock.now();
    this.#last = undefined;
    this.#servedUntil = now;
    this.#skipped = 0;
    this.#stepMs = 0;
    if (!this.#plan(now)) this.onEnd();
  }

  /** Cancels the pending wait. Idempotent. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The next run's time, unix s (0 before start and when the pattern has no run left). */
  get next(): number {
    return this.#next === undefined ? 0 : this.#next / 1000;
  }

  /**
   * Waits for the first run after `wallMs`.
   * @returns false when there is none: the schedule has ended (the caller says so)
   */
  #plan(wallMs: number): boolean {
    this.#next = this.#source.after(wallMs);
    if (this.#next === undefined) {
      this.#running = false;
      return false;
    }
    this.#arm(wallMs);
    return true;
  }

  #arm(wallMs: number): void {
    const due = Math.max(0, (this.#next as number) - wallMs);
    this.#armedWall = wallMs;
    this.#armedMono = this.clock.monotonic();
    this.#timer = this.clock.setTimeout(() => this.#wake(), Math.min(MAX_WAIT_MS, Math.ceil(due)));
  }

  #wake(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.clock.now();
    const elapsed = this.clock.monotonic() - this.#armedMono;
    // Where the wall clock would be had nobody set it: the timeline stalls are counted on.
    const expected = this.#armedWall + elapsed;
    const stepMs = Math.abs(now - expected) > STEP_TOLERANCE_MS ? now - expected : 0;
    const next = this.#next as number;
    if (stepMs === 0 && now < next) {
      this.#arm(now); // a capped wait, or timer rounding: nothing can be due yet
      return;
    }
    this.#stepMs += stepMs;
    this.#servedUntil += stepMs;
    this.#skipped += Math.max(0, this.#source.count(next, expected) - 1);
    const tick = this.#source.atOrBefore(now);
    if (tick === undefined || tick <= this.#servedUntil || tick === this.#last) {
      // A step back, or the run waited for was the previous tick (after a step back): wait for
      // the next run.
      if (!this.#plan(now)) this.onEnd();
      return;
    }
    const skipped = this.#skipped;
    const stepS = Math.round(this.#stepMs) / 1000;
    this.#skipped = 0;
    this.#stepMs = 0;
    this.#last = tick;
    this.#servedUntil = now;
    // Armed before the handler runs, so a handler that throws cannot stop the ticks.
    const more = this.#plan(now);
    this.onTick(tick / 1000, skipped, stepS);
    if (!more) this.onEnd();
  }
}
