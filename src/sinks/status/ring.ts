/**
 * One device's power over the last hour, for the status page's sparkline: a fixed ring of
 * `(tick, W)` pairs in typed arrays, allocated once, one slot per harmonized tick.
 *
 * Bounded on both counts the page promises: at most one value per tick (a second value for the
 * same tick, e.g. the re-poll after a relay command, replaces the first) and at most one hour
 * (capacity `ceil(3600 / interval)`, and older pairs are left out when read). A tick earlier
 * than the last one (the wall clock was stepped back) starts the series afresh rather than
 * drawing a line back in time.
 */

/** The span kept, s. */
export const HISTORY_S = 3600;

/** `(unix s, W)` pairs, oldest first. */
export type PowerPoint = [timeS: number, watts: number];

/** The ring of one device. */
export class PowerHistory {
  readonly #times: Float64Array;
  readonly #watts: Float32Array;
  /** Index of the next write. */
  #next = 0;
  #size = 0;
  #lastSlot = -Infinity;

  /** @param intervalS `poll.interval`, s (≥ 1) */
  constructor(private readonly intervalS: number) {
    const capacity = Math.ceil(HISTORY_S / intervalS);
    this.#times = new Float64Array(capacity);
    this.#watts = new Float32Array(capacity);
  }

  /** Pairs held (at most `ceil(3600 / interval)`). */
  get size(): number {
    return this.#size;
  }

  /**
   * Records the power of one reading.
   * @param timeS the reading's tick, unix s
   * @param watts W; a non-finite value is ignored
   */
  push(timeS: number, watts: number): void {
    if (!Number.isFinite(watts) || !Number.isFinite(timeS)) return;
    const slot = Math.floor(timeS / this.intervalS);
    const capacity = this.#times.length;
    if (slot === this.#lastSlot && this.#size > 0) {
      const last = (this.#next - 1 + capacity) % capacity;
      this.#times[last] = timeS;
      this.#watts[last] = watts;
      return;
    }
    if (slot < this.#lastSlot) this.clear();
    this.#lastSlot = slot;
    this.#times[this.#next] = timeS;
    this.#watts[this.#next] = watts;
    this.#next = (this.#next + 1) % capacity;
    this.#size = Math.min(this.#size + 1, capacity);
  }

  /** Forgets every pair. */
  clear(): void {
    this.#next = 0;
    this.#size = 0;
    this.#lastSlot = -Infinity;
  }

  /**
   * The pairs of the hour before `nowS`, oldest first.
   * @param nowS unix s; pairs older than `nowS - 3600` are left out
   */
  points(nowS: number): PowerPoint[] {
    const capacity = this.#times.length;
    const out: PowerPoint[] = [];
    const from = nowS - HISTORY_S;
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#next - this.#size + k + capacity) % capacity;
      const t = this.#times[i] as number;
      if (t >= from) out.push([t, Math.round((this.#watts[i] as number) * 1000) / 1000]);
    }
    return out;
  }

  /** The newest pair, or undefined. */
  last(): PowerPoint | undefined {
    if (this.#size === 0) return undefined;
    const i = (this.#next - 1 + this.#times.length) % this.#times.length;
    return [this.#times[i] as number, Math.round((this.#watts[i] as number) * 1000) / 1000];
  }
}
