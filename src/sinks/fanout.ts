/**
 * Every reading to every sink; one sink's failure never blocks another (docs/architecture.md;
 * smartmeter2mqtt feeds its outputs the same way).
 */
import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.js';
import type { DeviceInfo, Reading } from '../reading.js';
import type { PollObserver, Sink } from './sink.js';

/** True for a sink that also wants poll outcomes (the metrics and status sinks). */
function isObserver(sink: Sink): sink is Sink & PollObserver {
  const s = sink as Partial<PollObserver>;
  return typeof s.poll === 'function' && typeof s.spike === 'function';
}

/**
 * A {@link Sink} that forwards to several sinks, isolating each from the others' failures; also
 * the {@link PollObserver} that forwards poll outcomes to the sinks that observe them.
 */
export class Fanout implements Sink, PollObserver {
  readonly name = 'fanout';
  readonly #log: Logger;
  readonly #observers: (Sink & PollObserver)[];

  /**
   * @param sinks the sinks, called in this order
   * @param log parent logger; failures are logged with the failing sink's name
   */
  constructor(
    private readonly sinks: readonly Sink[],
    log: Logger,
  ) {
    this.#log = log.child({ sink: 'fanout' });
    this.#observers = sinks.filter(isObserver);
  }

  /**
   * Starts every sink concurrently and waits for all of them.
   * @throws AggregateError listing the sinks that failed to start, after the others started
   *   (the caller decides whether that is fatal; `stop()` still stops every sink)
   */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map(async (s) => s.start()));
    const failed = this.#failures(results, 'failed to start');
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((f) => f.reason),
        `sinks failed to start: ${failed.map((f) => f.sink).join(', ')}`,
      );
    }
  }

  /** Gives the reading to every sink; a sink that throws is logged and skipped. */
  write(reading: Reading): void {
    for (const sink of this.sinks) {
      try {
        sink.write(reading);
      } catch (err) {
        this.#log.error(
          { err, failed: sink.name, device: reading.device.name },
          'sink write failed',
        );
      }
    }
  }

  /** Forwards an availability change to every sink; a sink that throws is logged and skipped. */
  availability(device: DeviceInfo, online: boolean): void {
    for (const sink of this.sinks) {
      try {
        sink.availability(device, online);
      } catch (err) {
        this.#log.error(
          { err, failed: sink.name, device: device.name },
          'sink availability failed',
        );
      }
    }
  }

  /** Forwards a device's removal to every sink that cares; a sink that throws is logged and skipped. */
  removed(device: DeviceInfo): void {
    for (const sink of this.sinks) {
      try {
        sink.removed?.(device);
      } catch (err) {
        this.#log.error({ err, failed: sink.name, device: device.name }, 'sink removed failed');
      }
    }
  }

  /** {@link PollObserver.poll} to every observing sink; one that throws is logged and skipped. */
  poll(
    device: DeviceInfo,
    code: ErrorCode | undefined,
    durationS: number | undefined,
    message?: string,
  ): void {
    for (const sink of this.#observers) {
      try {
        sink.poll(device, code, durationS, message);
      } catch (err) {
        this.#log.error({ err, failed: sink.name, device: device.name }, 'sink poll failed');
      }
    }
  }

  /** {@link PollObserver.spike} to every observing sink; one that throws is logged and skipped. */
  spike(device: DeviceInfo, field: string): void {
    for (const sink of this.#observers) {
      try {
        sink.spike(device, field);
      } catch (err) {
        this.#log.error({ err, failed: sink.name, device: device.name }, 'sink spike failed');
      }
    }
  }

  /** Stops every sink concurrently (each within its own bound); failures are logged, never thrown. */
  async stop(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map(async (s) => s.stop()));
    this.#failures(results, 'failed to stop');
  }

  #failures(
    results: PromiseSettledResult<void>[],
    what: string,
  ): { sink: string; reason: unknown }[] {
    const failed: { sink: string; reason: unknown }[] = [];
    results.forEach((r, i) => {
      const sink = this.sinks[i]?.name ?? `#${i}`;
      if (r.status === 'rejected') {
        failed.push({ sink, reason: r.reason });
        this.#log.error({ err: r.reason, failed: sink }, `sink ${sink} ${what}`);
      }
    });
    return failed;
  }
}
