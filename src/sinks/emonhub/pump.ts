/**
 * The emonhub sink's sender (`sink.ts` queues the frames): takes frames from the head of the
 * queue and sends them, one connection at a time, as many whole frames as fit in one `recv(1024)`
 * of emonhub (`send.ts`).
 *
 * Pacing (`pace.ts`): a live frame goes at once, packed with whatever else may go; a backlog
 * (frames restored at start, or kept through an outage) drains at `emonhub.replayRate` frames
 * a second on top of the live ones; and no send puts more than about two seconds of frames in
 * emonhub's buffer. A queue that keeps growing while emonhub is reachable (the nodes need more
 * than it takes) is logged, at most every ten minutes, and `backlogAgeS` shows how far behind
 * the oldest frame is (`kasa_sink_backlog_age_seconds`).
 *
 * On a failed send (`SINK_REFUSED`, `SINK_UNREACHABLE`, `SINK_TIMEOUT`, `SINK_CLOSED`: all
 * retryable) the frames stay and the head frame alone is tried again after `retryMs` on the
 * injected clock. The log gets one line when emonhub goes down and one when it is back.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { SinkError } from '../../errors.js';
import type { Outbox } from '../../storage/outbox.js';
import { MAX_FRAME_BYTES } from './line.js';
import { Pace } from './pace.js';
import { sendFrame } from './send.js';

/** Seconds of emonhub's rate a send may leave in its buffer. */
const HELD_S = 2;

/** What {@link EmonhubPump} sends from and to. */
export interface EmonhubPumpOptions {
  /** The frames, oldest first; the pump shifts what was sent. */
  queue: Outbox<string>;
  /** emonhub's socket interfacer. */
  host: string;
  port: number;
  /** Frames a second a backlog is replayed at (`emonhub.replayRate`). */
  replayRate: number;
  /** Frames a second emonhub takes. */
  takeRate: number;
  /** Delay before retrying the head frame after a failed send, ms. */
  retryMs: number;
  /** Deadline for connect + write of one connection, ms. */
  connectTimeoutMs: number;
  log: Logger;
  /** Drives the pacing and retry timers. */
  clock: Clock;
}

/** Sends the queue's frames, paced; see the file comment. The constructor assigns. */
export class EmonhubPump {
  readonly #queue: Outbox<string>;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #connectTimeoutMs: number;
  readonly #pace: Pace;
  readonly #abort = new AbortController();
  #timer: { handle: unknown; retry: boolean } | undefined;
  #sending = false;
  #up: boolean | undefined;
  #stopped = false;
  #sent = 0;
  #connections = 0;
  /** The last failed send, kept after recovery. */
  #lastError: { message: string; at: number } | undefined;
  private readonly clock: Clock;
  private readonly config: { host: string; port: number };
  /** Called whenever the pump finds the queue empty (the sink's stop waits for it). */
  onDrained: (() => void) | undefined;

  /** @param opts the queue, emonhub's address, rates, timings, logger and clock */
  constructor(opts: EmonhubPumpOptions) {
    this.#queue = opts.queue;
    this.#log = opts.log;
    this.clock = opts.clock;
    this.config = { host: opts.host, port: opts.port };
    this.#retryMs = opts.retryMs;
    this.#connectTimeoutMs = opts.connectTimeoutMs;
    const { replayRate, takeRate } = opts;
    this.#pace = new Pace(
      { replayRate, takeRate, maxHeld: Math.max(1, HELD_S * takeRate) },
      opts.clock.monotonic(),
    );
  }

  /** Whether the last send worked; `undefined` before the first. */
  get up(): boolean | undefined {
    return this.#up;
  }
  /** Frames handed to emonhub. */
  get sent(): number {
    return this.#sent;
  }
  /** Connections that delivered frames to emonhub. */
  get connections(): number {
    return this.#connections;
  }
  /** A connection is being made or written. */
  get busy(): boolean {
    return this.#sending;
  }
  /** The last failed send, kept after recovery. */
  get lastError(): { message: string; at: number } | undefined {
    return this.#lastError;
  }

  /**
   * A live frame was queued: it earns its credit and may go now (a wait for the pace is over).
   * @param now monotonic ms
   */
  pushed(now: number): void {
    this.#pace.pushed(now, this.#queue.length, this.#up !== false);
    if (this.#timer !== undefined && !this.#timer.retry) this.#cancelTimer();
    this.pump();
  }

  /** Sends no more: stops the timers and aborts a send in flight. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.onDrained = undefined;
    this.#cancelTimer();
    this.#abort.abort();
  }

  #schedule(ms: number, retry: boolean): void {
    const timer = { handle: undefined as unknown, retry };
    timer.handle = this.clock.setTimeout(() => {
      if (this.#timer === timer) this.#timer = undefined;
      this.pump();
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
  pump(): void {
    if (this.#stopped || this.#sending || this.#timer !== undefined) return;
    const length = this.#queue.length;
    if (length === 0) {
      this.onDrained?.();
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
    this.pump();
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
