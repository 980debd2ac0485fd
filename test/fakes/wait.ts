/**
 * The one way tests wait for real I/O (sockets, child processes): poll a condition until it
 * holds, bounded by a generous deadline. Never a fixed delay: a test waits for what it needs and
 * goes on the moment it is there, and under load it only gets slower, not flaky. Time itself
 * (retries, gaps, ticks) is driven with the manual clock, not waited for.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as pause } from 'node:timers/promises';
import type { ManualClock } from './manual-clock.js';

/** How often a condition is checked, ms: a poll step, not a duration anything depends on. */
const POLL_MS = 5;

/**
 * Resolves as soon as `cond` holds (checked at once, then every few ms).
 * @param cond may be async (e.g. "can I connect?"); a throw fails the wait
 * @param timeoutMs the bound, ms of real time; generous, since it only matters when broken
 * @param what names the condition in the timeout error
 * @throws Error `timed out after <ms> ms waiting for <what>`
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await pause(POLL_MS);
  }
}

/**
 * Like {@link waitFor}, but moves a manual clock by `stepMs` on each check, so timers on that
 * clock (retries, gaps) fire while real sockets do their work in between.
 */
export async function driveUntil(
  clock: ManualClock,
  stepMs: number,
  cond: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  await waitFor(
    () => {
      if (cond()) return true;
      clock.advance(stepMs);
      return false;
    },
    timeoutMs,
    what,
  );
}

/**
 * Resolves after the event loop went once through its I/O phase: what a peer on loopback wrote
 * before the call has been read by then. For tests that need bytes to arrive as separate
 * segments (a reply split across reads), without a timed pause.
 */
export async function nextLoopTurn(): Promise<void> {
  // A setImmediate callback runs after the I/O poll of its turn; one scheduled from it runs
  // after the next turn's poll, which reads whatever loopback delivered meanwhile.
  await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
}
