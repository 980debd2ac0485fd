/**
 * Rate limits for log lines whose cause can repeat without end: a command to a device that does
 * not exist, a malformed payload, a plug that reports a negative power every tick. Whatever sends
 * them (an MQTT client in a loop, a broken firmware) must not fill the disk with the log nor grow
 * the memory that remembers what was logged.
 *
 * One concept: a line is let through when its key has not been let through within `perKeyMs`
 * (Infinity: once per key) and, when `maxPerWindow` is set, fewer than that many lines of this
 * throttle went out in the current window. Memory is bounded: at most `maxKeys` keys are
 * remembered (the least recently let through is forgotten first, and may then be logged again),
 * and a key longer than {@link MAX_KEY_CHARS} is stored shortened. Each line let through learns
 * how many were held back since the previous one, so the log still says how much happened.
 */
import type { Clock } from '../clock.js';

/** Keys longer than this are remembered by a prefix, their length and a hash. */
export const MAX_KEY_CHARS = 128;

/** How a {@link LogThrottle} limits. */
export interface LogThrottleOptions {
  /** Least time between two lines of one key, ms; `Infinity`: once per key while remembered. */
  perKeyMs: number;
  /** Keys remembered at most; default 256. */
  maxKeys?: number;
  /** Lines let through per window over all keys; default unlimited. */
  maxPerWindow?: number;
  /** The window of `maxPerWindow`, ms; default 60 000. */
  windowMs?: number;
}

/** FNV-1a, 32 bits, of a string's UTF-16 code units: a short stand-in for a long key. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/** Decides which repeated log lines go out. Time is the injected clock's monotonic time. */
export class LogThrottle {
  /** Key → monotonic ms it was last let through; insertion order is recency. */
  readonly #seen = new Map<string, number>();
  readonly #maxKeys: number;
  readonly #windowMs: number;
  #windowStart = -Infinity;
  #inWindow = 0;
  #held = 0;

  /**
   * @param clock monotonic time
   * @param options per-key spacing, memory bound, overall rate
   */
  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly options: LogThrottleOptions,
  ) {
    this.#maxKeys = Math.max(1, options.maxKeys ?? 256);
    this.#windowMs = options.windowMs ?? 60_000;
  }

  /** Keys remembered right now (at most `maxKeys`). */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Whether a line with `key` goes out now.
   * @param key what makes two lines "the same" (a device name, a kind of problem)
   * @returns undefined when the line is to be dropped; else how many lines this throttle
   *   dropped since it last let one through (0 usually)
   */
  take(key: string): number | undefined {
    const now = this.clock.monotonic();
    const k = key.length > MAX_KEY_CHARS ? `${key.slice(0, 64)}…${key.length}#${hash(key)}` : key;
    const last = this.#seen.get(k);
    if (last !== undefined && now - last < this.options.perKeyMs) return this.#hold();
    const max = this.options.maxPerWindow;
    if (max !== undefined) {
      if (now - this.#windowStart >= this.#windowMs) {
        this.#windowStart = now;
        this.#inWindow = 0;
      }
      if (this.#inWindow >= max) return this.#hold();
      this.#inWindow++;
    }
    this.#seen.delete(k);
    this.#seen.set(k, now);
    if (this.#seen.size > this.#maxKeys) {
      const oldest = this.#seen.keys().next().value as string;
      this.#seen.delete(oldest);
    }
    const held = this.#held;
    this.#held = 0;
    return held;
  }

  #hold(): undefined {
    this.#held++;
    return undefined;
  }
}

/**
 * ` (N similar lines not logged)` when `held` > 0, else `''`: the tail a throttled message gets.
 * @param held what {@link LogThrottle.take} returned
 */
export function heldNote(held: number): string {
  if (held === 0) return '';
  return ` (${held} similar ${held === 1 ? 'line' : 'lines'} not logged)`;
}
