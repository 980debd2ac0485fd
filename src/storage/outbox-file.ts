import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { JsonFile, type StateFs } from './json-file.js';
import {
  DELIVERED_PREFIX,
  deliveredField,
  parseOutbox,
  serializeOutbox,
  type ParsedOutbox,
} from './outbox-document.js';
import { restoreOutbox, type OutboxFileRead } from './outbox-restore.js';

/** What the file mirrors: the outbox's items and their sequence range `[head, tail)`. */
export interface OutboxSource<T> {
  /** Sequence numbers of the head item and one past the last; equal when empty. */
  range(): { head: number; tail: number };
  /** The first `n` items, oldest first. */
  items(n: number): T[];
  /** When the item numbered `seq` (head ≤ seq < tail) was pushed, clock ms; -Infinity if restored. */
  pushedAt(seq: number): number;
}

/** A sequence range `[head, tail)`. */
interface Range {
  head: number;
  tail: number;
}

/** What {@link OutboxFile} needs. */
export interface OutboxFileOptions<T> {
  /** The state directory (created on first write). */
  dir: string;
  /** File name, e.g. `mqtt-outbox.json`. */
  name: string;
  /** Returns one restored item typed, or throws an Error saying what is wrong. */
  validateItem: (raw: unknown) => T;
  log: Logger;
  /** What the logs call the outbox, e.g. `MQTT outbox`. */
  label: string;
  clock: Clock;
  /** Delay between a change and its write, ms. */
  persistMs: number;
  /** File system calls (tests make writes fail); default `node:fs`. */
  fs?: StateFs | undefined;
}

/** Writes are at least this many times their own last duration apart (see {@link OutboxFile}). */
export const WRITE_SPACING = 10;

/**
 * The file of an `Outbox`: one JSON document written atomically through `JsonFile` (temp file,
 * fsync, rename), validated on read down to each item, and kept in step with the outbox by
 * writes at most one per `persistMs`. What a write holds (ranges compared by sequence number):
 * - once an item not in the file has waited `persistMs`, every item in memory: a backlog (the
 *   destination is down or slow) is on disk within about `persistMs`;
 * - until then, only the items in memory that the file already holds: items delivered within
 *   `persistMs` are never written, and delivered ones leave the file.
 * So a sink that keeps up does not write at all, whatever its rate (a debounce alone would
 * write each second on a fleet whose every tick is a burst), and a crash loses at most about
 * the last `persistMs` of items, as with a plain debounce.
 *
 * A write is synchronous (the file must match the outbox the moment it is renamed) and blocks
 * the event loop while it lasts, so writes are also spaced {@link WRITE_SPACING} times their
 * own duration apart: a large backlog behind a slow destination (a 30 MB file takes ~0.3 s on
 * an SD card) costs at most a tenth of the process's time, never every second of it. The items
 * a crash can lose grow in proportion (the last ~3 s of such a backlog).
 *
 * Reading and writing never throw: a sink must keep working, in memory, with a broken state
 * directory. Failures are logged: a corrupt file once (it is set aside, so the next start finds
 * none; a bad item is dropped alone), a failing write once per episode (retried after
 * `persistMs`; "writing again" when it recovers).
 *
 * What was delivered is never sent again after a restart, even when the file cannot be
 * rewritten (a full disk, a directory that became read-only): the count of delivered items at
 * the file's head is then updated in place (`outbox-document.ts`), which needs neither a new
 * file nor more space. And a restored file that cannot be updated at all (a read-only file
 * system) is not sent: its deliveries could not be recorded, so it would go out again at every
 * start.
 */
export class OutboxFile<T> {
  readonly #json: JsonFile<ParsedOutbox<T>, readonly T[]>;
  readonly #log: Logger;
  /** The sequence range of the file's undelivered items. */
  #onDisk: Range = { head: 0, tail: 0 };
  /** Items at the file's head before `#onDisk.head` (marked delivered in it). */
  #marked = 0;
  /** When the last write was attempted, clock ms. */
  #lastWrite = -Infinity;
  /** Least time between writes, ms: `persistMs`, or {@link WRITE_SPACING} × the last write's duration. */
  #gapMs: number;
  #timer: unknown = undefined;
  #failing = false;
  #markFailing = false;
  #closed = false;

  /**
   * @param opts where, how to validate, logging, write delay
   * @param source the outbox's state, read when writing
   */
  constructor(
    private readonly opts: OutboxFileOptions<T>,
    private readonly source: OutboxSource<T>,
  ) {
    this.#log = opts.log;
    this.#gapMs = opts.persistMs;
    const { validateItem, fs } = opts;
    this.#json = new JsonFile(
      opts.dir,
      opts.name,
      (raw, text) => parseOutbox(raw, validateItem, text),
      { fs, serialize: serializeOutbox },
    );
  }

  /** The file's path. */
  get file(): string {
    return this.#json.file;
  }

  /**
   * Reads and validates the file, then takes it to hold sequence range `[0, items.length)` of
   * what it returns (see {@link restoreOutbox}). Never throws.
   */
  read(): OutboxFileRead<T> {
    const { read, restored } = restoreOutbox(this.#json, this.opts);
    if (restored !== undefined) {
      this.#onDisk = { head: 0, tail: restored.items };
      this.#marked = restored.marked;
    }
    return read;
  }

  /** The outbox changed: check within `persistMs` unless the file already holds its items. */
  changed(): void {
    if (this.#closed) return;
    if (!this.#dirty()) {
      // Changed back to what the file holds (pushed, then delivered): nothing left to write.
      this.#disarm();
      return;
    }
    if (this.#timer === undefined) this.#arm();
  }

  /**
   * Writes every item now if the file differs from the outbox.
   * @returns false when the write failed (logged; retried after `persistMs` unless closed)
   */
  flush(): boolean {
    this.#disarm();
    if (this.#closed || !this.#dirty()) return true;
    return this.#write(this.source.range());
  }

  /** Flushes, then writes no more. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#disarm();
  }

  /** True when the file's items are not the outbox's (any two empty states are equal). */
  #dirty(): boolean {
    const { head, tail } = this.source.range();
    if (head === tail) return this.#onDisk.tail > this.#onDisk.head;
    return this.#onDisk.head !== head || this.#onDisk.tail !== tail;
  }

  /** The oldest item in memory that the file lacks, or `tail` when it holds them all. */
  #firstUnwritten(head: number, tail: number): number {
    const disk = this.#onDisk;
    return disk.head <= head && head < disk.tail ? Math.min(disk.tail, tail) : head;
  }

  /** Arms the check for when the oldest unwritten item has waited `persistMs` (sooner when none). */
  #arm(): void {
    const { persistMs, clock } = this.opts;
    const now = clock.now();
    const { head, tail } = this.source.range();
    const first = this.#firstUnwritten(head, tail);
    const due = first < tail ? this.source.pushedAt(first) + persistMs : now;
    const at = Math.max(due, this.#lastWrite + this.#gapMs);
    // Bounded both ways: a clock stepped back cannot postpone it, nor can it spin.
    const delay = Math.min(persistMs, Math.max(persistMs / 10, at - now));
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#check();
    }, delay);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The timer fired: write what is due (see the class comment), then wait for the next. */
  #check(): void {
    if (this.#closed || !this.#dirty()) return;
    const now = this.opts.clock.now();
    const { persistMs } = this.opts;
    const { head, tail } = this.source.range();
    const first = this.#firstUnwritten(head, tail);
    const due = first < tail && now - this.source.pushedAt(first) >= persistMs;
    const target = due ? { head, tail } : { head, tail: Math.max(head, first) };
    const disk = this.#onDisk;
    const same =
      target.head === target.tail
        ? disk.head === disk.tail
        : disk.head === target.head && disk.tail === target.tail;
    if (!same && now - this.#lastWrite >= this.#gapMs) this.#write(target);
    if (this.#dirty() && this.#timer === undefined && !this.#closed) this.#arm();
  }

  /** Writes the items of `range` (a prefix of the outbox). */
  #write(range: Range): boolean {
    const { label, clock, persistMs } = this.opts;
    this.#lastWrite = clock.now();
    try {
      const items = this.source.items(range.tail - range.head);
      this.#json.write(items);
    } catch (err) {
      if (!this.#failing) {
        this.#log.error(
          { err },
          `${label}: ${(err as Error).message}; keeping its items in memory meanwhile`,
        );
      }
      this.#failing = true;
      this.#markDelivered();
      this.changed();
      return false;
    }
    this.#gapMs = Math.max(persistMs, WRITE_SPACING * (clock.now() - this.#lastWrite));
    if (this.#failing) this.#log.info({ file: this.file }, `${label}: writing again`);
    this.#failing = false;
    this.#onDisk = range;
    this.#marked = 0;
    return true;
  }

  /**
   * The file cannot be rewritten: records in place that the items which left the outbox since
   * it was written are delivered, so a restart does not send them again. Best effort: a file
   * system that refuses even that is said once.
   */
  #markDelivered(): void {
    const { head } = this.source.range();
    const disk = this.#onDisk;
    const gone = Math.min(head, disk.tail) - disk.head;
    if (gone <= 0) return;
    try {
      this.#json.patch(DELIVERED_PREFIX, deliveredField(this.#marked + gone));
    } catch (err) {
      if (!this.#markFailing) {
        this.#log.error(
          { err },
          `${this.opts.label}: cannot record delivered items in ${this.file} either ` +
            `(${(err as Error).message}); after a restart they may be sent again`,
        );
      }
      this.#markFailing = true;
      return;
    }
    this.#markFailing = false;
    this.#marked += gone;
    this.#onDisk = { head: disk.head + gone, tail: disk.tail };
  }
}
