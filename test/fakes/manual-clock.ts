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
  #seq = 0;
  #timers: Pending[] = [];

  /** @param startMs initial time, ms since the epoch */
  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
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
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
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

  /** Sets the wall clock without firing anything or moving timers (a stalled event loop). */
  set(ms: number): void {
    this.#now = ms;
  }
}
