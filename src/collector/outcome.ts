/**
 * What the collector does with each poll's outcome: the side effects around the pure step of
 * `readings.ts`. A good poll settles the device's name, marks it online and writes its readings
 * (a strip's outlets announced online as they first appear), commits its lifetime totals and
 * logs and counts its spikes. A failed poll is counted and logged, and after
 * `poll.offlineAfter` in a row the device and its outlets are published offline, once.
 */
import type { Logger } from 'pino';
import type { FilterConfig } from '../config/types.js';
import type { EnergyTotals } from '../energy/totals.js';
import { totalsKey } from '../energy/totals-file.js';
import { PollErrorCode } from '../errors.js';
import type { DeviceSample } from '../kasa/device.js';
import { deviceKey } from '../reading.js';
import type { PollObserver, Sink } from '../sinks/sink.js';
import type { PolledDevice } from './polled-device.js';
import type { PollFailure } from './poller.js';
import { pollReadings } from './readings.js';

/** What {@link PollOutcomes} needs: the collector's own dependencies, minus the clock. */
export interface OutcomeDeps {
  log: Logger;
  /** Usually a `Fanout` over the configured sinks. */
  sink: Sink;
  /** Physical bounds (the `filter` slice); absent: values are published as the plug sent them. */
  filter?: FilterConfig;
  /** Lifetime energy counters; absent: readings carry no `energy_total`. */
  energyTotals?: EnergyTotals;
  /** Told of every poll outcome and spike (the Prometheus sink); absent: nobody is. */
  observer?: PollObserver;
}

/** Poll counters since start (part of the collector's stats). */
export interface PollCounters {
  pollsOk: number;
  pollsFailed: number;
  /** Values removed by the spike filter (one per field per reading). */
  spikes: number;
}

/** Delivers poll outcomes to the sink, the observer and the log. Never throws on a plug's data. */
export class PollOutcomes {
  /** Devices whose last failure was a bug (`INTERNAL_ERROR`), logged once until a good poll. */
  readonly #bugs = new WeakSet<PolledDevice>();

  /**
   * @param deps logger, sink, bounds, totals and observer
   * @param counters updated in place (the collector's `stats`)
   */
  constructor(
    private readonly deps: OutcomeDeps,
    private readonly counters: PollCounters,
  ) {}

  /**
   * A good poll of `device`.
   * @param time unix s: the tick, or the current second for a relay command's re-poll
   * @param durationS how long the poll took, s (absent for a relay command's re-poll)
   * @param devices every device: a name the others already use is not taken
   */
  success(
    device: PolledDevice,
    time: number,
    sample: DeviceSample,
    durationS: number | undefined,
    devices: readonly PolledDevice[],
  ): void {
    const { log, sink, energyTotals } = this.deps;
    this.counters.pollsOk++;
    this.#bugs.delete(device);
    if (!device.named) {
      const taken = new Set(devices.filter((d) => d !== device && d.named).map((d) => d.info.name));
      device.settleName(sample.identity, taken);
    }
    device.identity = sample.identity;
    device.relay = sample.values.state;
    const info = device.info;
    this.deps.observer?.poll(info, undefined, durationS);
    const cameOnline = device.availability.success() === 'online';
    if (cameOnline)
      log.info({ device: info.name, host: info.host, model: sample.identity.model }, 'plug online');
    // A strip's outlets share its availability: one seen for the first time while the strip is
    // online is announced online too. Every reading goes out before its device's `online`, so
    // no consumer shows a reading from before the stop as current (docs/mqtt-and-home-assistant.md).
    const settled = sample.outlets === undefined ? [] : device.settleOutlets(sample.outlets);
    const outlets = settled.map(([o]) => device.outletInfo(o));
    const announce = new Set(outlets.filter((_, i) => cameOnline || settled[i]?.[1] === true));
    const { host, port } = device.config;
    const key = totalsKey(sample.identity, host, port);
    const out = pollReadings(
      { time, device: info, sample, outlets, totalsKey: key },
      { filter: this.deps.filter, totals: energyTotals },
    );
    for (const { key: k, step } of out.totals) energyTotals?.commit(k, step);
    // Before the readings go out: the file must cover the totals they carry (`totals.ts`).
    if (out.totals.length > 0) energyTotals?.writeAhead();
    for (const { device: d, field, value, reason } of out.rejections) {
      this.counters.spikes++;
      this.deps.observer?.spike(d, field);
      log.warn({ device: deviceKey(d), field, value, reason, tick: time }, 'spike rejected');
    }
    for (const reading of out.readings) {
      sink.write(reading);
      if (announce.has(reading.device)) sink.availability(reading.device, true);
    }
    if (cameOnline) sink.availability(info, true);
  }

  /**
   * A failed poll: counted and logged at debug with its code (a bug also once at error, with
   * its stack); the one that crosses `poll.offlineAfter` publishes the device and its outlets
   * offline and logs one warning.
   * @param tickS the tick, unix s
   * @param durationS how long the poll took, s; absent when the plug was not polled at all
   */
  failure(
    device: PolledDevice,
    tickS: number,
    error: PollFailure,
    durationS: number | undefined,
  ): void {
    const { log, sink } = this.deps;
    this.counters.pollsFailed++;
    this.deps.observer?.poll(device.info, error.code, durationS, error.message);
    log.debug({ device: device.info.name, code: error.code, tick: tickS }, error.message);
    if (error.code === PollErrorCode.INTERNAL && !this.#bugs.has(device)) {
      this.#bugs.add(device);
      log.error(
        { device: device.info.name, code: error.code, err: error.cause },
        `poll failed on an unexpected exception (a bug in the collector): ${error.message}`,
      );
    }
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
      for (const o of device.outlets) sink.availability(device.outletInfo(o), false);
    }
  }
}
