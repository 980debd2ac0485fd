import type { Clock } from '../clock.js';

/**
 * Harmonized ticks: every tick falls on an exact multiple of the interval since the Unix epoch
 * (interval 10 → :00, :10, :20 …), so every reading of a tick carries the same timestamp and
 * readings from several collectors line up (pb66's emonhub script, "Python code to read TP-Link
 * HS110" on community.openenergymonitor.org: "all update timestamps are exact multiple of the
 * interval").
 *
 * An aligned timer on an injected {@link Clock} rather than a cron expression: cron patterns
 * cannot say "every 7 s since the epoch", and an injected clock lets tests step time by hand.
 * One timer per tick for all plugs.
 */

/**
 * The first tick strictly after `nowMs`.
 * @param nowMs ms since the epoch
 * @param intervalS interval, s (integer ≥ 1)
 * @returns tick time, unix s, a multiple of `intervalS`
 */
export function nextTick(nowMs: number, intervalS: number): number {
  return (Math.floor(nowMs / 1000 / intervalS) + 1) * intervalS;
}

/**
 * The latest tick at or before `nowMs`.
 * @param nowMs ms since the epoch
 * @param intervalS interval, s
 * @returns tick time, unix s
 */
export function currentTick(nowMs: number, intervalS: number): number {
  return Math.floor(nowMs / 1000 / intervalS) * intervalS;
}

/** Called once per tick with the tick's time (unix s) and how many ticks were skipped before it. */
export type TickHandler = (tickS: number, skipped: number) => void;

/**
 * Fires `onTick` on each harmonized tick. When the process was stalled past whole ticks (a
 * suspended Pi, a blocked event loop) the missed ticks are skipped, not replayed in a burst, and
 * the handler is told how many. If the clock fires early (wall clock stepped back by NTP), it
 * waits for the tick instead of firing twice.
 */
export class HarmonizedSchedule {
  #timer: unknown;
  #next = 0;
  #running = false;

  /**
   * @param intervalS interval, s (integer ≥ 1)
   * @param clock time source
   * @param onTick handler; must not throw (exceptions are the caller's bug and are not caught)
   */
  constructor(
    private readonly intervalS: number,
    private readonly clock: Clock,
    private readonly onTick: TickHandler,
  ) {}

  /** Arms the timer for the next tick. Calling it twice has no effect. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#next = nextTick(this.clock.now(), this.intervalS);
    this.arm();
  }

  /** Cancels the pending tick. Idempotent. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The next tick's time, unix s (0 before start). */
  get next(): number {
    return this.#next;
  }

  private arm(): void {
    const delay = Math.max(0, this.#next * 1000 - this.clock.now());
    this.#timer = this.clock.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.clock.now();
    if (now < this.#next * 1000) {
      this.arm();
      return;
    }
    const latest = currentTick(now, this.intervalS);
    const skipped = Math.max(0, Math.round((latest - this.#next) / this.intervalS));
    const tick = latest;
    this.#next = tick + this.intervalS;
    this.arm();
    this.onTick(tick, skipped);
  }
}
