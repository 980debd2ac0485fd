import type { Clock } from '../../src/clock.js';

interface Pending {
  /** Monotonic time it is due at, ms. */
  at: number;
  fn: () => void;
  id: number;
}

/** Timers one `advance()` may fire before it calls it a loop (a timer re-armed at 0 ms forever). */
const MAX_FIRED = 1_000_000;

/**
 * A clock that only moves when a test says so: the one manual clock of the test suite.
 *
 * Like the real one it has two times: the wall clock (`now()`) and monotonic time
 * (`monotonic()`), and timers run on monotonic time, as Node's do. So a test can play the three
 * things real time does to a long-running service:
 * - {@link advance}: time passes; due timers fire in order;
 * - {@link stepWall}: NTP (or an operator) sets the wall clock; monotonic time and the timers'
 *   remaining delays do not move;
 * - {@link set}: the event loop was blocked (or the process stalled): wall and monotonic time
 *   both moved, but no timer has fired yet (call `advance(0)` to let them).
 */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;
  #seq = 0;
  #timers: Pending[] = [];

  /** @param startMs initial wall time, ms since the epoch */
  constructor(startMs: number) {
    this.#wall = startMs;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.push({ at: this.#mono + Math.max(0, ms), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Milliseconds until the next timer is due (0 when overdue), undefined when none is pending. */
  get nextTimerIn(): number | undefined {
    const at = Math.min(...this.#timers.map((t) => t.at));
    return Number.isFinite(at) ? Math.max(0, at - this.#mono) : undefined;
  }

  /** Moves time forward by `ms`, firing due timers in order (timers they set fire too if due). */
  advance(ms: number): void {
    const end = this.#mono + Math.max(0, ms);
    for (let fired = 0; ; fired++) {
      if (fired > MAX_FIRED) {
        throw new Error(
          `ManualClock: over ${MAX_FIRED} timers fired in one advance(): a timer loop?`,
        );
      }
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      if (t.at > this.#mono) this.#move(t.at - this.#mono);
      t.fn();
    }
    this.#move(end - this.#mono);
  }

  /**
   * Steps the wall clock by `deltaMs` without firing anything (an NTP step). Monotonic time and
   * the pending timers' remaining delays stay as they were.
   */
  stepWall(deltaMs: number): void {
    this.#wall += deltaMs;
  }

  /**
   * Sets the wall clock to `ms` without firing anything (a stalled event loop: real time passed,
   * so monotonic time moves forward by as much). Timers that became due fire at the next
   * `advance()`.
   */
  set(ms: number): void {
    this.#mono += Math.max(0, ms - this.#wall);
    this.#wall = ms;
  }

  #move(ms: number): void {
    this.#mono += ms;
    this.#wall += ms;
  }
}
