/**
 * Sends readings to emonhub's socket interfacer as strict frames (`line.ts`).
 *
 * Protocol facts this follows (emonhub `src/interfacers/EmonHubSocketInterfacer.py`, `read`):
 * emonhub accepts one connection at a time, does ONE `recv(1024)` and closes; it never replies.
 * So: one frame per connection, in one write (`socket.end(frame)`), and a frame counts as sent
 * once the kernel took it on an established connection; nothing better exists on this wire.
 *
 * Failure policy: frames wait in a FIFO persisted in `<state.dir>/emonhub-queue.json`
 * (`queue.ts`), so neither an emonhub outage nor a collector restart loses them,
 * bounded by `emonhub.queue.maxFrames` and `maxBytes` (overflow drops the oldest, counted,
 * warned once per episode). One sender loop sends the head; on a failed send (`SINK_REFUSED`,
 * `SINK_UNREACHABLE`, `SINK_TIMEOUT`, `SINK_CLOSED`: all retryable) the head stays and the loop
 * retries after `retryMs` on the injected clock. Frames keep their tick
 * timestamps, so a backlog lands at the right times in emonCMS. Frames are spaced by at least
 * 1/`emonhub.replayRate` s (emonhub's run loop reads one connection, then sleeps 0.1 s; with
 * its other work it moves about 5 frames/s); a lone frame long after the last goes out at once.
 * The log gets one line when emonhub goes down and one when it comes back.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EmonhubConfig } from '../../config/types.js';
import { deviceKey, type DeviceInfo, type Reading } from '../../reading.js';
import type { Outbox } from '../../storage/outbox.js';
import { buildFrame, readingToValues } from './line.js';
import { createEmonhubQueue } from './queue.js';
import type { EmonhubQueueOptions } from './queue.js';
import { sendFrame } from './send.js';
import type { SinkError } from '../../errors.js';
import type { Sink, SinkDeps, SinkStatus } from '../sink.js';

/**
 * What {@link EmonhubSink} is given beside the `emonhub` slice: logger and clock, the queue's
 * state dir and write delay, and the pacing knobs.
 */
export interface EmonhubSinkDeps extends SinkDeps, EmonhubQueueOptions {
  /** Delay before retrying the head frame after a failed send, ms. Default 5000. */
  retryMs?: number;
  /** Pause between two frames, ms. Default 1000 / `emonhub.replayRate` (tests shorten it). */
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
  readonly #retryMs: number;
  readonly #gapMs: number;
  readonly #connectTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #queue: Outbox<string>;
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
  #sent = 0;
  private readonly clock: Clock;
  /** The last failed send, kept after recovery, for {@link status}. */
  #lastError: { message: string; at: number } | undefined;

  /**
   * @param config the `emonhub` slice: host, port, timestamped, fields, replayRate, queue bounds
   * @param deps logger (the sink logs through a child with `sink: 'emonhub'`), clock (drives the
   *   retry, gap, stop and queue-write timers), state dir (the queue is memory-only without it)
   *   and timings
   */
  constructor(
    private readonly config: EmonhubConfig,
    deps: EmonhubSinkDeps,
  ) {
    this.#log = deps.log.child({ sink: 'emonhub' });
    this.clock = deps.clock;
    this.#retryMs = deps.retryMs ?? 5_000;
    this.#gapMs = deps.gapMs ?? 1000 / config.replayRate;
    this.#connectTimeoutMs = deps.connectTimeoutMs ?? 2_000;
    this.#stopTimeoutMs = deps.stopTimeoutMs ?? 2_000;
    this.#queue = createEmonhubQueue(config, deps, this.#log, deps.clock);
  }

  /** Frames waiting, including the one being sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Frames handed to emonhub. */
  get sent(): number {
    return this.#sent;
  }

  /** Frames dropped because the queue was full. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** {@link Sink.status}: whether the last send worked, the queue and the last failure. */
  status(): SinkStatus {
    return {
      connected: this.#up,
      queued: this.#queue.length,
      unit: 'frames',
      oldestAt: this.#queue.oldestAt,
      dropped: this.#queue.dropped,
      lastError: this.#lastError,
    };
  }

  /**
   * Restores the persisted queue (those frames go first, paced) and arms the sink. Does not
   * connect: each frame opens its own connection.
   */
  async start(): Promise<void> {
    if (this.#started || this.#stopping !== undefined) return;
    this.#started = true;
    const { restored } = this.#queue.load();
    const file = this.#queue.file;
    if (restored > 0)
      this.#log.info({ restored, file }, `restored ${restored} frames from ${file}`);
    const { host, port, timestamped, fields } = this.config;
    this.#log.info({ host, port, timestamped, fields }, 'emonhub sink started');
    this.#pump();
  }

  /**
   * Queues the reading's frame when its device has a `node`. A reading lacking a configured
   * field is not sent (a gap would shift later values into the wrong inputs): warned once per
   * device until a complete reading comes. Never throws.
   */
  write(reading: Reading): void {
    const { node } = reading.device;
    const name = deviceKey(reading.device);
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
    this.#queue.push(frame);
    this.#pump();
  }

  /** emonhub has no availability concept: a device that stops answering just stops sending. */
  availability(_device: DeviceInfo, _online: boolean): void {}

  /**
   * Flushes for at most `stopTimeoutMs`, then stops timers, aborts a send and writes what is
   * left (the frame being sent included) to the state dir. Idempotent.
   */
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
    this.#queue.close();
    const unsent = this.#queue.length;
    if (unsent > 0) this.#log.warn({ unsent }, `emonhub sink stopped with ${unsent} frames unsent`);
    else this.#log.info({ sent: this.#sent }, 'emonhub sink stopped');
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
    const frame = this.#queue.at(0);
    if (frame === undefined) {
      this.#onDrained?.();
      return;
    }
    // Monotonic: a wall clock stepped back must not hold the queue for as long.
    const wait = this.#lastSentAt + this.#gapMs - this.clock.monotonic();
    if (wait > 0) {
      this.#schedule(wait);
      return;
    }
    this.#sending = true;
    const { host, port } = this.config;
    const seq = this.#queue.headSeq;
    sendFrame(host, port, frame, this.#connectTimeoutMs, this.#abort.signal).then(
      () => this.#onSent(seq),
      (err: SinkError) => this.#onFailed(err),
    );
  }

  /** @param seq the frame's sequence number: the bounds may have dropped it meanwhile */
  #onSent(seq: number): void {
    this.#sending = false;
    if (this.#queue.headSeq === seq) this.#queue.shift(1);
    this.#sent++;
    this.#lastSentAt = this.clock.monotonic();
    if (this.#up === false) {
      this.#log.info(
        { queued: this.#queue.length },
        'emonhub reachable again; sending queued frames',
      );
    }
    this.#up = true;
    this.#pump();
  }

  /**
   * Every code `sendFrame` gives is retryable (`ERROR_CODES`): emonhub down or restarting, the
   * network gone. The frame is not at fault, so it stays at the head and is sent again.
   */
  #onFailed(err: SinkError): void {
    this.#sending = false;
    if (this.#stopped) return;
    const { host, port } = this.config;
    this.#lastError = {
      message: `${host}:${port}: ${err.code ?? err.message}`,
      at: this.clock.now(),
    };
    if (this.#up !== false) {
      this.#up = false;
      this.#log.warn(
        { host, port, code: err.code, queued: this.#queue.length },
        `emonhub unreachable: ${err.message}; keeping frames, retrying every ${this.#retryMs} ms`,
      );
    }
    this.#schedule(this.#retryMs);
  }
}
