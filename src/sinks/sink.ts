import type { DeviceInfo, Reading } from '../plug/reading.js';

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
}
