/**
 * The `/healthz` verdict: is the collector itself alive? It is while its ticks keep completing:
 * a tick completes when every poll it started has settled (answered, failed or timed out), so a
 * schedule that stopped firing, or a poll path that hangs, fails the check within
 * {@link UNHEALTHY_AFTER_INTERVALS} nominal intervals, and a restart is the right answer.
 *
 * Whether plugs answer is reported beside it, not in the HTTP status: with every plug down (a
 * WiFi outage, the plugs unplugged) ticks still complete, a restart would not help, and a Docker
 * health check or a monitor must not restart the collector in a loop for it. The body then says
 * `"status": "no-answers"` (each plug's own `kasa_device_up` says which).
 *
 * Pure apart from the injected clock, so tests drive it by hand. Ages are measured on monotonic
 * time: a wall clock stepped back an hour must not keep a stale collector "healthy" for that
 * hour, nor a step forward fail a fresh one.
 */
import type { Clock } from '../../clock.js';

/** Intervals without a completed tick before the check fails. */
export const UNHEALTHY_AFTER_INTERVALS = 2;

/** What `/healthz` answers; `status` is the HTTP status. */
export interface HealthReport {
  status: 200 | 503;
  body: {
    /**
     * `ok`: ticks complete and some plug answered within `limitS`; `no-answers`: ticks complete
     * but no plug answered within `limitS` (HTTP 200 all the same); `stale`: no tick completed
     * within `limitS` (HTTP 503).
     */
    status: 'ok' | 'no-answers' | 'stale';
    /** When the last tick completed, ISO 8601; null before the first one. */
    lastTick: string | null;
    /** Seconds since the last completed tick (or since start, before the first one). */
    ageS: number;
    /** The limit `ageS` is held to: `UNHEALTHY_AFTER_INTERVALS` × the nominal interval, s. */
    limitS: number;
    /** Last successful poll, ISO 8601; null before the first one. */
    lastSuccess: string | null;
  };
}

/** Monotonic and wall ms of one event. */
interface Seen {
  mono: number;
  wall: number;
}

/** Tracks completed ticks and successful polls, and judges them against the nominal interval. */
export class Health {
  #startedMono: number;
  #tick: Seen | undefined;
  #success: Seen | undefined;

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

  /** Restarts the grace period (on `start()`): before the first tick nothing can have completed. */
  reset(): void {
    this.#startedMono = this.clock.monotonic();
    this.#tick = undefined;
    this.#success = undefined;
  }

  /** Records that a tick's polls have all settled, now. */
  tickDone(): void {
    this.#tick = this.#now();
  }

  /** Records a successful poll now. */
  success(): void {
    this.#success = this.#now();
  }

  /**
   * 200 while the last completed tick (or, before any, the start) is at most
   * `UNHEALTHY_AFTER_INTERVALS` intervals old; 503 after that. The body also says whether any
   * plug answered within that time.
   */
  report(): HealthReport {
    const now = this.clock.monotonic();
    const limitS = UNHEALTHY_AFTER_INTERVALS * this.intervalS;
    const ageS = Math.max(0, (now - (this.#tick?.mono ?? this.#startedMono)) / 1000);
    const answering =
      this.#tick === undefined ||
      (this.#success !== undefined && (now - this.#success.mono) / 1000 <= limitS);
    const alive = ageS <= limitS;
    return {
      status: alive ? 200 : 503,
      body: {
        status: !alive ? 'stale' : answering ? 'ok' : 'no-answers',
        lastTick: iso(this.#tick),
        ageS,
        limitS,
        lastSuccess: iso(this.#success),
      },
    };
  }

  #now(): Seen {
    return { mono: this.clock.monotonic(), wall: this.clock.now() };
  }
}

function iso(seen: Seen | undefined): string | null {
  return seen === undefined ? null : new Date(seen.wall).toISOString();
}
