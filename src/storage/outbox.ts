import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { StateFs } from './json-file.js';
import { OutboxFile } from './outbox-file.js';

export { OUTBOX_VERSION } from './outbox-document.js';

/** What {@link Outbox} needs; everything injected. */
export interface OutboxOptions<T> {
  /** `state.dir`; `undefined` keeps the outbox in memory only (tests, tools). */
  dir: string | undefined;
  /** File name inside `dir`, e.g. `mqtt-outbox.json`. */
  name: string;
  /** Items kept at most (integer ≥ 1); past it the oldest are dropped. */
  maxEntries: number;
  /** Bytes kept at most, as measured by `sizeOf`; past it the oldest are dropped. */
  maxBytes: number;
  /** Checks one restored item and returns it typed; throws an Error saying what is wrong. */
  validateItem: (raw: unknown) => T;
  /** Bytes an item counts for; default its JSON length in UTF-8. */
  sizeOf?: (item: T) => number;
  /** The owner's logger (e.g. the sink's child logger). */
  log: Logger;
  /** Debounces writes; default the system clock. */
  clock?: Clock;
  /** File system calls (tests make writes fail); default `node:fs`. */
  fs?: StateFs | undefined;
  /**
   * How long an item may wait undelivered before it is written, and the least time between two
   * writes, ms; default {@link PERSIST_DELAY_MS}.
   */
  persistMs?: number;
  /** What the logs call the outbox and its items, e.g. `MQTT outbox` and `readings`. */
  label?: string;
  unit?: string;
}

/** Default write delay: items delivered within a second are never written; one write a second at most. */
export const PERSIST_DELAY_MS = 1000;

/** What {@link Outbox.load} found. */
export interface OutboxLoadResult {
  /** Items restored from the file (after the bounds were applied). */
  restored: number;
  /** Restored items dropped because the file held more than the bounds allow. */
  dropped: number;
  /** Where a corrupt file was moved to; the outbox then starts empty. */
  setAside?: string;
  /** Bad items of the file left out (each logged), the good ones restored. */
  invalid?: number;
  /** Items left unsent in a file that cannot be written (see `OutboxFile.read`). */
  heldBack?: number;
}

/**
 * A bounded FIFO persisted in the state directory, so what a sink could not deliver survives a
 * collector restart. Used by both sinks for their backlog (readings, frames).
 *
 * Policy: on overflow the OLDEST items go (the newest data is the most useful), counted in
 * {@link dropped}, with one warning when an overflow episode begins and one with its count when
 * it ends (the outbox drains, or it is closed). Writes are whole-file and atomic (`JsonFile`),
 * at most one per `persistMs` (and ten times a write's own duration apart), and only once an
 * item has waited `persistMs` without being delivered (see `OutboxFile`): a sink that keeps up
 * never touches the disk, however many items a second go through. A crash loses at most about
 * the items of the last `persistMs`; a restart may re-send items that were delivered but not
 * yet removed on disk (at least once, never a gap).
 *
 * A failed write (full disk, read-only `state.dir`) is logged once per episode and retried
 * after `persistMs`; the items stay in memory meanwhile.
 */
export class Outbox<T> {
  readonly #file: OutboxFile<T> | undefined;
  readonly #log: Logger;
  readonly #sizeOf: (item: T) => number;
  readonly #label: string;
  readonly #unit: string;
  readonly #clock: Clock;
  #items: T[] = [];
  #sizes: number[] = [];
  /** When each item was pushed (clock ms); restored items count as pushed long ago. */
  #times: number[] = [];
  #head = 0;
  #bytes = 0;
  #headSeq = 0;
  #closed = false;
  #dropped = 0;
  #episodeDropped = 0;
  /** When {@link load} ran, clock ms (what {@link oldestAt} says of restored items). */
  #loadedAt: number | undefined;

  /** @param opts file, bounds, item validator, logger and clock */
  constructor(private readonly opts: OutboxOptions<T>) {
    this.#log = opts.log;
    this.#sizeOf = opts.sizeOf ?? ((item) => Buffer.byteLength(JSON.stringify(item)));
    this.#label = opts.label ?? 'outbox';
    this.#unit = opts.unit ?? 'items';
    const { dir, name, validateItem, fs } = opts;
    const { clock = systemClock, persistMs = PERSIST_DELAY_MS } = opts;
    this.#clock = clock;
    const [log, label] = [this.#log, this.#label];
    const source = {
      range: () => ({ head: this.#headSeq, tail: this.#headSeq + this.length }),
      items: (n: number) => this.peek(n),
      pushedAt: (seq: number) => this.#times[this.#head + seq - this.#headSeq] ?? -Infinity,
    };
    this.#file =
      dir === undefined
        ? undefined
        : new OutboxFile({ dir, name, validateItem, log, label, clock, persistMs, fs }, source);
  }

  /** The file's path, or `undefined` for a memory-only outbox. */
  get file(): string | undefined {
    return this.#file?.file;
  }

  /** Items held. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes held, as measured by `sizeOf`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Items dropped by the bounds since construction. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * When the oldest item was pushed, clock ms; items restored by {@link load} count from the
   * load. Undefined when empty.
   */
  get oldestAt(): number | undefined {
    if (this.length === 0) return undefined;
    const at = this.#times[this.#head] ?? -Infinity;
    return at === -Infinity ? this.#loadedAt : at;
  }

  /** Sequence number of the head item: how many items have left (shifted or dropped) so far. */
  get headSeq(): number {
    return this.#headSeq;
  }

  /**
   * Restores the file's items (oldest first) into an empty outbox; call once, before any push.
   * A corrupt or truncated file is set aside and reported at warn, an unreadable one at error;
   * the outbox then starts empty. A bad item is dropped alone (warned); items whose delivery
   * could not be recorded (the file cannot be written) are not restored (warned). Bounds smaller than the file (a changed config) drop the
   * oldest, as {@link push} does.
   * @throws Error only when items were pushed already (a programming error)
   */
  load(): OutboxLoadResult {
    if (this.length > 0) throw new Error(`${this.#label}: load() after items were pushed`);
    this.#loadedAt = this.#clock.now();
    const file = this.#file;
    if (file === undefined) return { restored: 0, dropped: 0 };
    const { items, setAside, dropped: invalid, heldBack } = file.read();
    if (setAside !== undefined) return { restored: 0, dropped: 0, setAside };
    let dropped = 0;
    for (const item of items) dropped += this.#append(item, -Infinity);
    if (dropped > 0) this.#overflowed(dropped);
    this.#changed(); // dirty, so written soon, only when the bounds dropped something
    return {
      restored: this.length,
      dropped,
      ...(invalid ? { invalid } : {}),
      ...(heldBack ? { heldBack } : {}),
    };
  }

  /**
   * Appends an item, then drops the oldest items while a bound is exceeded (possibly the new
   * item itself, when it alone is larger than `maxBytes`).
   * @returns how many items were dropped
   */
  push(item: T): number {
    const dropped = this.#append(item, this.#clock.now());
    if (dropped > 0) this.#overflowed(dropped);
    this.#changed();
    return dropped;
  }

  #append(item: T, at: number): number {
    const size = this.#sizeOf(item);
    this.#items.push(item);
    this.#sizes.push(size);
    this.#times.push(at);
    this.#bytes += size;
    let dropped = 0;
    while (
      this.length > 0 &&
      (this.length > this.opts.maxEntries || this.#bytes > this.opts.maxBytes)
    ) {
      this.#take(1);
      dropped++;
    }
    return dropped;
  }

  /** The first `n` items (fewer when shorter), oldest first, without removing them. */
  peek(n: number): T[] {
    return this.#items.slice(this.#head, this.#head + Math.max(0, n));
  }

  /** The item `index` places after the head, or `undefined`. */
  at(index: number): T | undefined {
    return index < 0 ? undefined : this.#items[this.#head + index];
  }

  /** Removes and returns the first `n` items (delivered ones). */
  shift(n: number): T[] {
    const out = this.#take(n);
    if (this.length === 0) this.#endEpisode();
    this.#changed();
    return out;
  }

  /**
   * Writes the file now when what is on disk differs from memory.
   * @returns false when the write failed (logged; retried later unless closed)
   */
  flush(): boolean {
    return this.#file?.flush() ?? true;
  }

  /** Writes what is left, ends an overflow episode, and stops persisting. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file?.close();
    this.#endEpisode();
  }

  #take(n: number): T[] {
    const count = Math.min(Math.max(0, n), this.length);
    const out = this.#items.slice(this.#head, this.#head + count);
    for (let i = 0; i < count; i++) this.#bytes -= this.#sizes[this.#head + i] ?? 0;
    this.#head += count;
    this.#headSeq += count;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#sizes = [];
      this.#times = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      // Amortized O(1) shifts on a long backlog: compact once half the array is consumed.
      this.#items = this.#items.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  #overflowed(n: number): void {
    this.#dropped += n;
    if (this.#episodeDropped === 0) {
      const { maxEntries, maxBytes } = this.opts;
      this.#log.warn(
        { maxEntries, maxBytes },
        `${this.#label} full (${maxEntries} ${this.#unit} or ${maxBytes} bytes): dropping the oldest ${this.#unit}`,
      );
    }
    this.#episodeDropped += n;
  }

  #endEpisode(): void {
    const n = this.#episodeDropped;
    if (n === 0) return;
    this.#episodeDropped = 0;
    this.#log.warn(
      { dropped: n, droppedTotal: this.#dropped },
      `${this.#label} overflow ended: ${n} ${this.#unit} were dropped`,
    );
  }

  #changed(): void {
    this.#file?.changed();
  }
}
