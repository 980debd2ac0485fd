/**
 * Sends readings to emonhub's socket interfacer as strict frames (`line.ts`).
 *
 * Protocol facts this follows (emonhub `src/interfacers/EmonHubSocketInterfacer.py`, `read`):
 * emonhub accepts one connection at a time, does ONE `recv(1024)`, closes, and never replies;
 * what it received joins a buffer from which it takes one `\r\n`-terminated frame per pass of
 * its 0.1 s loop (`capacity.ts`). So: one write per connection, of whole frames (as many as fit
 * in under 1024 bytes), and a frame counts as sent once the kernel took it on an established
 * connection; nothing better exists on this wire.
 *
 * Pacing (`pace.ts`): a live frame goes at once, packed with whatever else may go; a backlog
 * (frames restored at start, or kept through an outage) drains at `emonhub.replayRate` frames
 * a second on top of the live ones; and no send puts more than about two seconds of frames in
 * emonhub's buffer. A queue that keeps growing while emonhub is reachable (the nodes need more
 * than it takes) is logged, at most every ten minutes, and `backlogAgeS` shows how far behind
 * the oldest frame is (`kasa_sink_backlog_age_seconds`).
 *
 * Failure policy: frames wait in a FIFO persisted in `<state.dir>/emonhub-queue.json`
 * (`queue.ts`), so neither an emonhub outage nor a collector restart loses them, bounded by
 * `emonhub.queue.maxFrames` and `maxBytes` (overflow drops the oldest, counted, warned once per
 * episode). On a failed send (`SINK_REFUSED`, `SINK_UNREACHABLE`, `SINK_TIMEOUT`,
 * `SINK_CLOSED`: all retryable) the frames stay and the head frame alone is tried again after
 * `retryMs` on the injected clock. Frames keep their tick timestamps, so a backlog lands at the
 * right times in emonCMS. The log gets one line when emonhub goes down and one when it is back.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EmonhubConfig } from '../../config/types.js';
import { deviceKey, type DeviceInfo, type Reading } from '../../reading.js';
import type { Outbox } from '../../storage/outbox.js';
import { BacklogWatch } from './backlog-watch.js';
import { EMONHUB_FRAMES_PER_S } from './capacity.js';
import { buildFrame, MAX_FRAME_BYTES, readingToValues } from './line.js';
import { Pace } from './pace.js';
import { createEmonhubQueue } from './queue.js';
import type { EmonhubQueueOptions } from './queue.js';
import { sendFrame } from './send.js';
import type { SinkError } from '../../errors.js';
import type { Sink, SinkDeps, SinkStatus } from '../sink.js';

/** Seconds of emonhub's rate a send may leave in its buffer. */
const HELD_S = 2;

/**
 * What {@link EmonhubSink} is given beside the `emonhub` slice: logger and clock, the queue's
 * state dir and write delay, and the timings.
 */
export interface EmonhubSinkDeps extends SinkDeps, EmonhubQueueOptions {
  /** Delay before retrying the head frame after a failed send, ms. Default 5000. */
  retryMs?: number;
  /** Frames a second emonhub takes. Default {@link EMONHUB_FRAMES_PER_S}. */
  takeRate?: number;
  /** Deadline for connect + write of one connection, ms. Default 2000. */
  connectTimeoutMs?: number;
  /** Bound on `stop()`'s flush, ms. Default 2000. */
  stopTimeoutMs?: number;
}

/** The emonhub {@link Sink}. Constructor assigns; `start()` arms; `stop()` flushes within a bound. */
export class EmonhubSink implements Sink {
  readonly name = 'emonhub';
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #connectTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #queue: Outbox<string>;
  readonly #pace: Pace;
  readonly #abort = new AbortController();
  readonly #missing = new Set<string>();
  readonly #badFrames = new Set<string>();
  #timer: { handle: unknown; retry: boolean } | undefined;
  #sending = false;
  #up: boolean | undefined;
  #started = false;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  #onDrained: (() => void) | undefined;
  #sent = 0;
  #connections = 0;
  readonly #backlog: BacklogWatch;
  private readonly clock: Clock;
  /** The last failed send, kept after recovery, for {@link status}. */
  #lastError: { message: string; at: number } | undefined;

  /**
   * @param config the `emonhub` slice: host, port, timestamped, fields, replayRate, queue bounds
   * @param deps logger (the sink logs through a child with `sink: 'emonhub'`), clock (drives the
   *   retry, pacing, stop and queue-write timers), state dir (the queue is memory-only without
   *   it) and timings
   */
  constructor(
    private readonly config: EmonhubConfig,
    deps: EmonhubSinkDeps,
  ) {
    this.#log = deps.log.child({ sink: 'emonhub' });
    this.clock = deps.clock;
    this.#retryMs = deps.retryMs ?? 5_000;
    this.#connectTimeoutMs = deps.connectTimeoutMs ?? 2_000;
    this.#stopTimeoutMs = deps.stopTimeoutMs ?? 2_000;
    this.#queue = createEmonhubQueue(config, deps, this.#log, deps.clock);
    this.#backlog = new BacklogWatch(this.#log);
    const takeRate = deps.takeRate ?? EMONHUB_FRAMES_PER_S;
    this.#pace = new Pace(
      { replayRate: config.replayRate, takeRate, maxHeld: Math.max(1, HELD_S * takeRate) },
      deps.clock.monotonic(),
    );
  }

  /** Frames waiting, including the ones being sent. */
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

  /** Connections that delivered frames to emonhub. */
  get connections(): number {
    return this.#connections;
  }

  /** A connection is being made or written. */
  get busy(): boolean {
    return this.#sending;
  }

  /** How long the oldest waiting frame has waited, s; 0 when none waits. */
  get backlogAgeS(): number {
    const at = this.#queue.oldestAt;
    return at === undefined ? 0 : Math.max(0, this.clock.now() - at) / 1000;
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
   * Restores the persisted queue (those frames go first, at `replayRate`) and arms the sink.
   * Does not connect: each send opens its own connection.
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
    this.#backlog.reset(this.clock.monotonic(), this.#queue.length);
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
    const now = this.clock.monotonic();
    this.#pace.pushed(now, this.#queue.length, this.#up !== false);
    this.#backlog.sample(now, this.#queue.length, this.#up === false, this.backlogAgeS);
    // A live frame may go now: a wait for the pace is over.
    if (this.#timer !== undefined && !this.#timer.retry) this.#cancelTimer();
    this.#pump();
  }

  /** emonhub has no availability concept: a device that stops answering just stops sending. */
  availability(_device: DeviceInfo, _online: boolean): void {}

  /**
   * Flushes for at most `stopTimeoutMs`, then stops timers, aborts a send and writes what is
   * left (the frames being sent included) to the state dir. Idempotent.
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
    this.#cancelTimer();
    this.#abort.abort();
    this.#queue.close();
    const unsent = this.#queue.length;
    if (unsent > 0) this.#log.warn({ unsent }, `emonhub sink stopped with ${unsent} frames unsent`);
    else this.#log.info({ sent: this.#sent }, 'emonhub sink stopped');
  }

  #schedule(ms: number, retry: boolean): void {
    const timer = { handle: undefined as unknown, retry };
    timer.handle = this.clock.setTimeout(() => {
      if (this.#timer === timer) this.#timer = undefined;
      this.#pump();
    }, ms);
    this.#timer = timer;
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
  }

  /**
   * Sends what the pace allows from the head, as many whole frames as fit in one connection,
   * unless a send is in flight or a wait is armed. While emonhub is down, the head frame alone
   * is tried (each `retryMs`).
   */
  #pump(): void {
    if (this.#stopped || this.#sending || this.#timer !== undefined) return;
    const length = this.#queue.length;
    if (length === 0) {
      this.#onDrained?.();
      return;
    }
    const now = this.clock.monotonic();
    let n = 1;
    if (this.#up !== false) {
      n = this.#pace.allowed(now, length);
      if (n < 1) {
        this.#schedule(this.#pace.waitMs(), false);
        return;
      }
    }
    const frames: string[] = [];
    let bytes = 0;
    for (const f of this.#queue.peek(n)) {
      if (frames.length > 0 && bytes + f.length >= MAX_FRAME_BYTES) break;
      frames.push(f);
      bytes += f.length;
    }
    this.#sending = true;
    const { host, port } = this.config;
    const seq = this.#queue.headSeq;
    sendFrame(host, port, frames.join(''), this.#connectTimeoutMs, this.#abort.signal).then(
      () => this.#onSent(seq, frames.length),
      (err: SinkError) => this.#onFailed(err),
    );
  }

  /**
   * @param seq the first frame's sequence number: the bounds may have dropped some meanwhile
   * @param n frames in the connection
   */
  #onSent(seq: number, n: number): void {
    this.#sending = false;
    const done = seq + n - this.#queue.headSeq;
    if (done > 0) this.#queue.shift(done);
    this.#sent += n;
    this.#connections++;
    this.#pace.sent(this.clock.monotonic(), n, this.#queue.length);
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
   * network gone. The frames are not at fault, so they stay and the head is sent again.
   */
  #onFailed(err: SinkError): void {
    this.#sending = false;
    if (this.#stopped) return;
    this.#pace.failed();
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
    this.#schedule(this.#retryMs, true);
  }
}
