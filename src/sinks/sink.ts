/**
 * The contract between the collector and its outputs, both ways: readings and availability go
 * out to every {@link Sink}; relay commands come back in as {@link RelayCommand}s; poll outcomes
 * reach a {@link PollObserver}. The collector knows this file and no sink behind it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ErrorCode } from '../errors.js';
import type { DeviceInfo, Reading } from '../reading.js';

/**
 * What every sink's constructor takes beside its config slice: `new XSink(slice, { log, clock,
 * …the sink's own })` (zigbee2mqtt's and smartmeter2mqtt's habit: one shape, no positional
 * lists). A sink adds what only it needs (a state dir, an injectable connect, timings).
 */
export interface SinkDeps {
  /** Parent logger; the sink logs through a child with `sink: '<name>'`. */
  log: Logger;
  /** Drives the sink's timers (retries, pacing, backlog writes) and measures its bounds. */
  clock: Clock;
}

/**
 * An output the collector fans readings out to (the shape of smartmeter2mqtt's `Output`).
 *
 * Contract:
 * - the constructor only assigns; `start()` acquires (connects, opens files); `stop()` releases
 *   and is safe to call twice;
 * - `start()` resolves even when the remote end is down: the sink buffers and retries itself;
 * - `write()` and `availability()` never block and never throw: they enqueue.
 */
export interface Sink {
  /** Short name for logs, e.g. `mqtt`, `emonhub`. */
  readonly name: string;
  /** Acquires resources; resolves without waiting for the remote end to be up. */
  start(): Promise<void>;
  /** Takes one reading; returns at once. */
  write(reading: Reading): void;
  /** A device went online (a poll succeeded after failures) or offline (`poll.offlineAfter` failures in a row). */
  availability(device: DeviceInfo, online: boolean): void;
  /**
   * The device was dropped from the config (SIGHUP reload), after its `availability(…, false)`.
   * Optional: sinks with nothing to clean up leave it out.
   */
  removed?(device: DeviceInfo): void;
  /** Flushes what it can within its own bound, releases resources. Idempotent. */
  stop(): Promise<void>;
  /**
   * How the sink is doing, for the status page. Optional: a sink without a remote end or a
   * backlog leaves it out. Must be cheap (it is read while someone looks) and never throw.
   */
  status?(): SinkStatus;
}

/** What a sink says about itself ({@link Sink.status}). */
export interface SinkStatus {
  /** Connected to its remote end (MQTT: a live broker connection; emonhub: the last send worked); undefined before it knows. */
  connected: boolean | undefined;
  /** Backlog: items waiting (unacknowledged ones included). */
  queued: number;
  /** What {@link queued} counts, e.g. `readings` (MQTT) or `frames` (emonhub). */
  unit: string;
  /** When the oldest waiting item was queued, ms since the epoch (items restored from the state dir: when restored); undefined when none waits. */
  oldestAt: number | undefined;
  /** Items dropped by the backlog's bounds since start. */
  dropped: number;
  /** The last error seen (it may have recovered since), with when, ms since the epoch. */
  lastError: { message: string; at: number } | undefined;
}

/** What a relay command asks of a relay: zigbee2mqtt's and Tasmota's `ON`/`OFF`/`TOGGLE`. */
export type RelayAction = 'ON' | 'OFF' | 'TOGGLE';

/**
 * A relay command as it reaches the collector, parsed once by the sink that received it (the
 * MQTT sink from `<p>/<device>/set` or `<p>/<device>/<outlet>/set`). Names are as published;
 * the collector checks them against its devices and `devices[].control`.
 */
export interface RelayCommand {
  /** The device's published name. */
  device: string;
  /** A power strip's outlet name; absent for a plug. */
  outlet?: string;
  action: RelayAction;
}

/** Where sinks hand relay commands (the collector's `relayCommand`); must not throw. */
export type RelayCommandHandler = (command: RelayCommand) => void;

/** Poll outcomes as they happen, beyond what reaches the sinks as readings. Must not throw. */
export interface PollObserver {
  /**
   * @param device the polled device
   * @param code the failure's stable code (`PLUG_TIMEOUT`, `POLL_NOT_STARTED`, …,
   *   `src/errors.ts`); undefined for a good poll
   * @param durationS how long the poll took, s; undefined when the device was not polled at all
   * @param message the failure's message (it may quote what the plug sent: untrusted text)
   */
  poll(
    device: DeviceInfo,
    code: ErrorCode | undefined,
    durationS: number | undefined,
    message?: string,
  ): void;
  /** One value the physical bounds removed. */
  spike(device: DeviceInfo, field: string): void;
}
