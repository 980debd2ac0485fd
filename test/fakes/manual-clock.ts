import type { Clock } from '../../src/clock.js';

interface Pending {
  at: number;
  fn: () => void;
  id: number;
}

/**
 * A clock that only moves when a test says so. Timers fire in time order during `advance()`.
 */
export class ManualClock implements Clock {
  #now: number;
  /** Monotonic time: moves with `advance()` only, never with a wall-clock step. */
  #mono = 0;
  #seq = 0;
  #timers: Pending[] = [];

  /** @param startMs initial time, ms since the epoch */
  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.push({ at: this.#now + Math.max(0, ms), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order (timers they set fire too if due). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      if (t.at > this.#now) {
        this.#mono += t.at - this.#now;
        this.#now = t.at;
      }
      t.fn();
    }
    this.#mono += Math.max(0, end - this.#now);
    this.#now = end;
  }

  /**
   * Steps the wall clock by `deltaMs` without firing anything (an NTP step). Pending timers keep
   * their remaining delay, as Node's monotonic timers do.
   */
  stepWall(deltaMs: number): void {
    this.#now += deltaMs;
    for (const t of this.#timers) t.at += deltaMs;
  }

  /**
   * Sets the wall clock without firing anything or moving timers (a stalled event loop: real
   * time passed, so monotonic time moves forward by as much).
   */
  set(ms: number): void {
    this.#mono += Math.max(0, ms - this.#now);
    this.#now = ms;
  }
}
