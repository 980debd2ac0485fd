/**
 * The `/healthz` verdict: healthy while some poll succeeded within the last few intervals. A
 * single dead plug must not fail the check (its own `kasa_device_up` says so); all plugs silent,
 * or the collector stalled, must. Pure apart from the injected clock, so tests drive it by hand.
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
    /** The limit `ageS` is held to: `UNHEALTHY_AFTER_INTERVALS × poll.interval`. */
    limitS: number;
  };
}

/** Tracks the last successful poll and judges freshness against `poll.interval`. */
export class Health {
  #startedMs: number;
  #lastSuccessMs: number | undefined;

  /**
   * @param intervalS `poll.interval`, s
   * @param clock time source; the grace period starts at construction (and again at `reset()`)
   */
  constructor(
    private readonly intervalS: number,
    private readonly clock: Clock,
  ) {
    this.#startedMs = clock.now();
  }

  /** Restarts the grace period (on `start()`): before the first tick nothing can have succeeded. */
  reset(): void {
    this.#startedMs = this.clock.now();
    this.#lastSuccessMs = undefined;
  }

  /** Records a successful poll now. */
  success(): void {
    this.#lastSuccessMs = this.clock.now();
  }

  /**
   * 200 while the last success (or, before any, the start) is at most
   * `UNHEALTHY_AFTER_INTERVALS` intervals old; 503 after that.
   */
  report(): HealthReport {
    const now = this.clock.now();
    const since = this.#lastSuccessMs ?? this.#startedMs;
    const ageS = Math.max(0, (now - since) / 1000);
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
