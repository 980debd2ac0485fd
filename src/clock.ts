/**
 * Time as the collector sees it. Injected everywhere time matters (the schedule, the
 * availability tracker, the emonhub pacing) so tests drive it by hand, the way MQTT.js passes a
 * `Timer` into its keep-alive (`src/lib/get-timer.ts`).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending {@link Clock.setTimeout}; a handle that already fired is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
