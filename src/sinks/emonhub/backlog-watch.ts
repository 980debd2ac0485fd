/**
 * Tells a backlog that keeps growing while emonhub is reachable: the nodes need more frames a
 * second than emonhub takes (`capacity.ts`), so frames wait longer and longer until the queue's
 * bound drops the oldest. Warned at most every ten minutes, its end said once. No timer: the
 * sink calls {@link BacklogWatch.sample} as frames are queued.
 */
import type { Logger } from 'pino';
import { EMONHUB_FRAMES_PER_S } from './capacity.js';

/** How often the queue length is compared with the last sample, ms. */
export const BACKLOG_SAMPLE_MS = 60_000;

/** Least time between two "backlog growing" warnings, ms. */
export const BACKLOG_WARN_MS = 600_000;

/** The watch; see the file comment. */
export class BacklogWatch {
  #sample = { length: 0, at: 0 };
  #warnedAt = Number.NEGATIVE_INFINITY;
  #growing = false;

  /** @param log the sink's logger */
  constructor(private readonly log: Logger) {}

  /** Starts the first sample period. @param now monotonic ms @param length frames queued */
  reset(now: number, length: number): void {
    this.#sample = { length, at: now };
  }

  /**
   * Once a sample period: a queue longer than at the last sample while emonhub is reachable is
   * warned (rate-limited); one back to at most a frame after a warning is said once.
   * @param now monotonic ms
   * @param length frames queued
   * @param down emonhub is known to be down (its outage is logged on its own)
   * @param ageS how long the oldest frame has waited, s
   */
  sample(now: number, length: number, down: boolean, ageS: number): void {
    if (now - this.#sample.at < BACKLOG_SAMPLE_MS) return;
    const grew = length - this.#sample.length;
    this.#sample = { length, at: now };
    if (down) return;
    if (grew > 0 && now - this.#warnedAt >= BACKLOG_WARN_MS) {
      this.#warnedAt = now;
      this.#growing = true;
      const age = Math.round(ageS);
      this.log.warn(
        { queued: length, grew, ageS: age },
        `emonhub backlog growing: ${length} frames wait (${grew} more than a minute ago), the ` +
          `oldest for ${age} s; the nodes need more frames a second than emonhub takes ` +
          `(about ${EMONHUB_FRAMES_PER_S}); see docs/emonhub.md`,
      );
    } else if (this.#growing && length <= 1) {
      this.#growing = false;
      this.log.info({ queued: length }, 'emonhub backlog drained');
    }
  }
}
