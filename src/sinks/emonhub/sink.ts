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
 * Pacing and sending: `pump.ts`. A queue that keeps growing while emonhub is reachable (the
 * nodes need more than it takes) is logged, at most every ten minutes (`backlog-watch.ts`), and
 * `backlogAgeS` shows how far behind the oldest frame is (`kasa_sink_backlog_age_seconds`).
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
import { buildFrame, readingToValues } from './line.js';
import { EmonhubPump } from './pump.js';
import { createEmonhubQueue } from './queue.js';
import type { EmonhubQueueOptions } from './queue.js';
import type { Sink, SinkDeps, SinkStatus } from '../sink.js';

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
  readonly #stopTimeoutMs: number;
  readonly #queue: Outbox<string>;
  readonly #pump: EmonhubPump;
  readonly #missing = new Set<string>();
  readonly #badFrames = new Set<string>();
  #started = false;
  #stopping: Promise<void> | undefined;
  readonly #backlog: BacklogWatch;
  private readonly clock: Clock;

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
    this.#stopTimeoutMs = deps.stopTimeoutMs ?? 2_000;
    this.#queue = createEmonhubQueue(config, deps, this.#log, deps.clock);
    this.#backlog = new BacklogWatch(this.#log);
    this.#pump = new EmonhubPump({
      queue: this.#queue,
      host: config.host,
      port: config.port,
      replayRate: config.replayRate,
      takeRate: deps.takeRate ?? EMONHUB_FRAMES_PER_S,
      retryMs: deps.retryMs ?? 5_000,
      connectTimeoutMs: deps.connectTimeoutMs ?? 2_000,
      log: this.#log,
      clock: deps.clock,
    });
  }

  /** Frames waiting, including the ones being sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Frames handed to emonhub. */
  get sent(): number {
    return this.#pump.sent;
  }

  /** Frames dropped because the queue was full. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** Connections that delivered frames to emonhub. */
  get connections(): number {
    return this.#pump.connections;
  }

  /** A connection is being made or written. */
  get busy(): boolean {
    return this.#pump.busy;
  }

  /** How long the oldest waiting frame has waited, s; 0 when none waits. */
  get backlogAgeS(): number {
    const at = this.#queue.oldestAt;
    return at === undefined ? 0 : Math.max(0, this.clock.now() - at) / 1000;
  }

  /** {@link Sink.status}: whether the last send worked, the queue and the last failure. */
  status(): SinkStatus {
    return {
      connected: this.#pump.up,
      queued: this.#queue.length,
      unit: 'frames',
      oldestAt: this.#queue.oldestAt,
      dropped: this.#queue.dropped,
      lastError: this.#pump.lastError,
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
    this.#pump.pump();
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
    this.#backlog.sample(now, this.#queue.length, this.#pump.up === false, this.backlogAgeS);
    this.#pump.pushed(now);
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
        this.#pump.onDrained = () => {
          this.clock.clearTimeout(t);
          resolve();
        };
      });
    }
    this.#pump.stop();
    this.#queue.close();
    const unsent = this.#queue.length;
    if (unsent > 0) this.#log.warn({ unsent }, `emonhub sink stopped with ${unsent} frames unsent`);
    else this.#log.info({ sent: this.#pump.sent }, 'emonhub sink stopped');
  }
}
