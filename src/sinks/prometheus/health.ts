/**
 * The `/healthz` verdict: healthy while some poll succeeded within the last few intervals. A
 * single dead plug must not fail the check (its own `kasa_device_up` says so); all plugs silent,
 * or the collector stalled, must. Pure apart from the injected clock, so tests drive it by hand.
 * Ages are measured on monotonic time: a wall clock stepped back an hour must not keep a stale
 * collector "healthy" for that hour, nor a step forward fail a fresh one.
 */
import type { Clock } from '../../clock.js';

/** Intervals without any successful poll before the check fails. */
export const UNHEALTHY_AFTER_INTERVALS = 3;

/** What `/healthz` answers; `status` is the HTTP status. */
export interface HealthReport {
  status: 200 | 503;
  body: {
    status: 'ok' | 'stale';
    /** Last successful poll, ISO 8601; null before the first one. */
    lastSuccess: string | null;
    /** Seconds since the last success (or since start, before the first one). */
    ageS: number;
    /** The limit `ageS` is held to: `UNHEALTHY_AFTER_INTERVALS` × the nominal interval. */
    limitS: number;
  };
}

/** Tracks the last successful poll and judges freshness against the nominal interval. */
export class Health {
  /** Monotonic ms of the start and of the last success; wall ms of the last success. */
  #startedMono: number;
  #lastSuccessMono: number | undefined;
  #lastSuccessMs: number | undefined;

  /**
   * @param intervalS the nominal interval, s: `poll.interval`, or the longest gap between the
   *   runs of `poll.cron` (`nominalIntervalS()` in `config/tick-pattern.ts`)
   * @param clock time source; the grace period starts at construction (and again at `reset()`)
   */
  constructor(
    private readonly intervalS: number,
    private readonly clock: Clock,
  ) {
    this.#startedMono = clock.monotonic();
  }

  /** Restarts the grace period (on `start()`): before the first tick nothing can have succeeded. */
  reset(): void {
    this.#startedMono = this.clock.monotonic();
    this.#lastSuccessMono = undefined;
    this.#lastSuccessMs = undefined;
  }

  /** Records a successful poll now. */
  success(): void {
    this.#lastSuccessMono = this.clock.monotonic();
    this.#lastSuccessMs = this.clock.now();
  }

  /**
   * 200 while the last success (or, before any, the start) is at most
   * `UNHEALTHY_AFTER_INTERVALS` intervals old; 503 after that.
   */
  report(): HealthReport {
    const since = this.#lastSuccessMono ?? this.#startedMono;
    const ageS = Math.max(0, (this.clock.monotonic() - since) / 1000);
    const limitS = UNHEALTHY_AFTER_INTERVALS * this.intervalS;
    const ok = ageS <= limitS;
    const lastSuccess =
      this.#lastSuccessMs === undefined ? null : new Date(this.#lastSuccessMs).toISOString();
    return {
      status: ok ? 200 : 503,
      body: { status: ok ? 'ok' : 'stale', lastSuccess, ageS, limitS },
    };
  }
}
