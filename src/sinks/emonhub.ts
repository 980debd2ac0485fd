/**
 * Sends readings to emonhub's socket interfacer as strict frames (`emonhub-line.ts`).
 *
 * Protocol facts this follows (REFERENCE.md §3, emonhub `EmonHubSocketInterfacer.read`):
 * emonhub accepts one connection at a time, does ONE `recv(1024)` and closes; it never replies.
 * So: one frame per connection, in one write (`socket.end(frame)`), and a frame counts as sent
 * once the kernel took it on an established connection; nothing better exists on this wire.
 *
 * Failure policy: frames wait in a bounded in-memory FIFO (overflow drops the oldest frame not
 * on the wire, counted, warned once per episode). One sender loop sends the head; on refused,
 * reset or timeout the head stays and the loop retries after `retryMs` on the injected clock.
 * Frames keep their tick timestamps, so a backlog lands at the right times in emonCMS. A
 * backlog is paced at `gapMs` per frame (emonhub's run loop reads one connection, then sleeps
 * 0.1 s; with its other work it moves about 5 frames/s). The log gets one line when emonhub goes down and one when it comes back.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EmonhubConfig } from '../config.js';
import type { DeviceInfo, Reading } from '../plug/reading.js';
import { buildFrame, readingToValues } from './emonhub-line.js';
import { sendFrame } from './emonhub-send.js';
import type { Sink } from './sink.js';

/** Tuning of {@link EmonhubSink}. */
export interface EmonhubSinkOptions {
  /** Frames kept while emonhub is unreachable. Default 10000 (about 28 h of 1 plug at 10 s). */
  maxQueue?: number;
  /** Delay before retrying the head frame after a failed send, ms. Default 5000. */
  retryMs?: number;
  /** Pause between two frames, ms. Default 250. */
  gapMs?: number;
  /** Deadline for connect + write of one frame, ms. Default 2000. */
  connectTimeoutMs?: number;
  /** Bound on `stop()`'s flush, ms. Default 2000. */
  stopTimeoutMs?: number;
}

/** The emonhub {@link Sink}. Constructor assigns; `start()` arms; `stop()` flushes within a bound. */
export class EmonhubSink implements Sink {
  readonly name = 'emonhub';
  readonly #log: Logger;
  readonly #maxQueue: number;
  readonly #retryMs: number;
  readonly #gapMs: number;
  readonly #connectTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #queue: string[] = [];
  readonly #abort = new AbortController();
  readonly #missing = new Set<string>();
  readonly #badFrames = new Set<string>();
  #timer: { handle: unknown } | undefined;
  #sending = false;
  #up: boolean | undefined;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #started = false;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  #onDrained: (() => void) | undefined;
  #overflow = false;
  #sent = 0;
  #dropped = 0;

  /**
   * @param config the `emonhub` slice: host, port, timestamped, fields
   * @param log parent logger; the sink logs through a child with `sink: 'emonhub'`
   * @param clock drives the retry, gap and stop timers
   * @param options queue bound and timings
   */
  constructor(
    private readonly config: EmonhubConfig,
    log: Logger,
    private readonly clock: Clock,
    options: EmonhubSinkOptions = {},
  ) {
    this.#log = log.child({ sink: 'emonhub' });
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#retryMs = options.retryMs ?? 5_000;
    this.#gapMs = options.gapMs ?? 250;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 2_000;
  }

  /** Frames waiting, including the one being sent. */
  get queueLength(): number {
    return this.#queue.length;
  }

  /** Frames handed to emonhub. */
  get sent(): number {
    return this.#sent;
  }

  /** Frames dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Arms the sink. Does not connect: each frame opens its own connection. */
  async start(): Promise<void> {
    this.#started = true;
    const { host, port, timestamped, fields } = this.config;
    this.#log.info({ host, port, timestamped, fields }, 'emonhub sink started');
  }

  /**
   * Queues the reading's frame when its device has a `node`. A reading lacking a configured
   * field is not sent (a gap would shift later values into the wrong inputs): warned once per
   * device until a complete reading comes. Never throws.
   */
  write(reading: Reading): void {
    const { node, name } = reading.device;
    if (!this.#started || this.#stopping !== undefined || node === undefined) return;
    const values = readingToValues(reading, this.config.fields);
    if (!Array.isArray(values)) {
      if (!this.#missing.has(name)) {
        this.#missing.add(name);
        this.#log.warn(
          { device: name, node, missing: values.missing },
          `not sending ${name} to emonhub: its reading lacks ${values.missing.join(', ')}`,
        );
      }
      return;
    }
    this.#missing.delete(name);
    let frame: string;
    try {
      frame = buildFrame({
        time: reading.time,
        node,
        values,
        timestamped: this.config.timestamped,
      });
    } catch (err) {
      if (!this.#badFrames.has(name)) {
        this.#badFrames.add(name);
        this.#log.error(
          { err, device: name },
          `not sending ${name} to emonhub: ${(err as Error).message}`,
        );
      }
      return;
    }
    this.#enqueue(frame);
    this.#pump();
  }

  /** emonhub has no availability concept: a device that stops answering just stops sending. */
  availability(_device: DeviceInfo, _online: boolean): void {}

  /** Flushes for at most `stopTimeoutMs`, then stops timers and aborts a send. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    if (this.#queue.length > 0) {
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimeout(resolve, this.#stopTimeoutMs);
        this.#onDrained = () => {
          this.clock.clearTimeout(t);
          resolve();
        };
      });
    }
    this.#stopped = true;
    this.#onDrained = undefined;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
    this.#abort.abort();
    const unsent = this.#queue.length;
    if (unsent > 0) this.#log.warn({ unsent }, `emonhub sink stopped with ${unsent} frames unsent`);
    else this.#log.info({ sent: this.#sent }, 'emonhub sink stopped');
  }

  #enqueue(frame: string): void {
    this.#queue.push(frame);
    if (this.#queue.length <= this.#maxQueue) return;
    // Drop the oldest frame that is not on the wire right now.
    this.#queue.splice(this.#sending ? 1 : 0, 1);
    this.#dropped++;
    if (!this.#overflow) {
      this.#overflow = true;
      this.#log.warn(
        { maxQueue: this.#maxQueue },
        'emonhub queue full: dropping the oldest frames',
      );
    }
  }

  #schedule(ms: number): void {
    const timer = { handle: undefined as unknown };
    timer.handle = this.clock.setTimeout(() => {
      if (this.#timer === timer) this.#timer = undefined;
      this.#pump();
    }, ms);
    this.#timer = timer;
  }

  /** Sends the head frame if nothing is in flight or scheduled and the gap has passed. */
  #pump(): void {
    if (this.#stopped || this.#sending || this.#timer !== undefined) return;
    const frame = this.#queue[0];
    if (frame === undefined) {
      if (this.#overflow) {
        this.#overflow = false;
        this.#log.info({ dropped: this.#dropped }, 'emonhub queue drained');
      }
      this.#onDrained?.();
      return;
    }
    const wait = this.#lastSentAt + this.#gapMs - this.clock.now();
    if (wait > 0) {
      this.#schedule(wait);
      return;
    }
    this.#sending = true;
    const { host, port } = this.config;
    sendFrame(host, port, frame, this.#connectTimeoutMs, this.#abort.signal).then(
      () => this.#onSent(),
      (err: NodeJS.ErrnoException) => this.#onFailed(err),
    );
  }

  #onSent(): void {
    this.#sending = false;
    this.#queue.shift();
    this.#sent++;
    this.#lastSentAt = this.clock.now();
    if (this.#up === false) {
      this.#log.info(
        { queued: this.#queue.length },
        'emonhub reachable again; sending queued frames',
      );
    }
    this.#up = true;
    this.#pump();
  }

  #onFailed(err: NodeJS.ErrnoException): void {
    this.#sending = false;
    if (this.#stopped) return;
    if (this.#up !== false) {
      this.#up = false;
      const { host, port } = this.config;
      this.#log.warn(
        { host, port, code: err.code, queued: this.#queue.length },
        `emonhub unreachable (${err.code ?? err.message}); keeping frames, retrying every ${this.#retryMs} ms`,
      );
    }
    this.#schedule(this.#retryMs);
  }
}
