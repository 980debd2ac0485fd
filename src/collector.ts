import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { DeviceState } from './device.js';
import { Poller, type PollResult } from './poller.js';
import type { Reading } from './plug/reading.js';
import { HarmonizedSchedule } from './schedule.js';
import type { Sink } from './sinks/sink.js';

/** What the collector needs from outside; everything is injected (STYLE.md habit 6). */
export interface CollectorDeps {
  clock: Clock;
  log: Logger;
  /** Usually a `Fanout` over the configured sinks. */
  sink: Sink;
  /** Builds a device's state; tests inject plugs through it. */
  makeDevice?: (config: Config['devices'][number], offlineAfter: number) => DeviceState;
}

/** Counters since start, for logs, the demo and tests. */
export interface CollectorStats {
  ticks: number;
  skippedTicks: number;
  pollsOk: number;
  pollsFailed: number;
}

/**
 * The main loop: on each harmonized tick, poll every device, stamp each good sample with the
 * tick's time, and hand it to the sink; track availability and log one line per change.
 */
export class Collector {
  readonly devices: DeviceState[];
  readonly stats: CollectorStats = { ticks: 0, skippedTicks: 0, pollsOk: 0, pollsFailed: 0 };
  readonly #schedule: HarmonizedSchedule;
  readonly #poller: Poller<DeviceState>;
  #started = false;

  /**
   * @param config the validated config (poll slice and devices are used here)
   * @param deps clock, logger and sink
   */
  constructor(
    private readonly config: Pick<Config, 'poll' | 'devices'>,
    private readonly deps: CollectorDeps,
  ) {
    const make = deps.makeDevice ?? ((c, n) => new DeviceState(c, n));
    this.devices = config.devices.map((d) => make(d, config.poll.offlineAfter));
    this.#poller = new Poller<DeviceState>(
      { timeoutMs: config.poll.timeout * 1000, concurrency: config.poll.concurrency },
      (d) => d.plug,
      (d, tick, result) => this.onResult(d, tick, result),
    );
    this.#schedule = new HarmonizedSchedule(config.poll.interval, deps.clock, (tick, skipped) =>
      this.onTick(tick, skipped),
    );
  }

  /** Starts the sink (which never waits for its remote end) and the schedule. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.deps.sink.start();
    this.#schedule.start();
    this.deps.log.info(
      {
        devices: this.devices.length,
        interval: this.config.poll.interval,
        firstTick: this.#schedule.next,
      },
      'collector started',
    );
  }

  /**
   * Stops ticking, lets in-flight polls finish (each is bounded by `poll.timeout`), then stops
   * the sink. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#schedule.stop();
    this.#poller.cancelPending();
    await this.#poller.idle();
    await this.deps.sink.stop();
    this.deps.log.info({ ...this.stats }, 'collector stopped');
  }

  /** Polls every device once for `tickS` now, outside the schedule (used by tests and `poll`). */
  pollNow(tickS: number): Promise<void> {
    return this.#poller.pollTick(this.devices, tickS);
  }

  private onTick(tickS: number, skipped: number): void {
    this.stats.ticks++;
    if (skipped > 0) {
      this.stats.skippedTicks += skipped;
      this.deps.log.warn({ skipped, tick: tickS }, 'ticks skipped: the process was stalled');
    }
    void this.#poller.pollTick(this.devices, tickS);
  }

  private onResult(device: DeviceState, tickS: number, result: PollResult): void {
    const { log, sink } = this.deps;
    if (!result.ok) {
      this.stats.pollsFailed++;
      const { error } = result;
      log.debug({ device: device.info.name, code: error.code, tick: tickS }, error.message);
      if (device.availability.failure() === 'offline') {
        log.warn(
          {
            device: device.info.name,
            host: device.config.host,
            code: error.code,
            failures: device.availability.failures,
          },
          `plug offline: ${error.message}`,
        );
        sink.availability(device.info, false);
      }
      return;
    }
    this.stats.pollsOk++;
    const { sample } = result;
    if (!device.named) {
      const taken = new Set(
        this.devices.filter((d) => d !== device && d.named).map((d) => d.info.name),
      );
      device.settleName(sample.identity, taken);
    }
    device.identity = sample.identity;
    const info = device.info;
    if (device.availability.success() === 'online') {
      log.info({ device: info.name, host: info.host, model: sample.identity.model }, 'plug online');
      sink.availability(info, true);
    }
    const reading: Reading = {
      time: tickS,
      device: info,
      identity: sample.identity,
      values: sample.values,
      hasEmeter: sample.hasEmeter,
    };
    sink.write(reading);
  }
}
