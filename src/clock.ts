import { performance } from 'node:perf_hooks';
/**
 * Time as the collector sees it: the one place that reads real time. Injected everywhere time
 * matters (the schedule, deadlines, availability, pacing, backlog writes) so tests drive it by
 * hand, the way MQTT.js passes a `Timer` into its keep-alive (`src/lib/get-timer.ts`).
 *
 * Two clocks, because they answer different questions: `now()` is the wall clock (what a
 * reading's timestamp says; NTP may step it), `monotonic()` only ever moves forward at the rate
 * of real time (how long something took; a deadline). A wall-clock step shows as the two
 * disagreeing.
 */
export interface Clock {
  /** Wall-clock time, ms since the Unix epoch. May jump when the system clock is set. */
  now(): number;
  /** Monotonic time, ms from an arbitrary origin; never jumps. For durations and deadlines. */
  monotonic(): number;
  /** Runs `fn` after `ms` milliseconds (monotonic); returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending {@link Clock.setTimeout}; a handle that already fired is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()`, `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  // `node:perf_hooks`' own: the global `performance` is a getter Node runs on every read.
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
