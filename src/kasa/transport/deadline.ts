/**
 * One deadline over several steps (connect, handshake, login, request): each step is given what
 * is left of it. Used by the HTTP transports and the SMART client.
 */
import type { Clock } from '../../clock.js';

/**
 * The time left of a deadline that starts now, for each step of a request in turn.
 * @param clock the monotonic clock
 * @param timeoutMs the whole deadline, ms
 * @param started when the deadline started, monotonic ms; default now
 * @returns a function giving the ms left, at least 1 (a step past the deadline times out at once)
 */
export function timeLeft(
  clock: Clock,
  timeoutMs: number,
  started: number = clock.monotonic(),
): () => number {
  return () => Math.max(1, timeoutMs - (clock.monotonic() - started));
}
