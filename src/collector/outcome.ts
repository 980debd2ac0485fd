/**
 * What the collector does with each poll's outcome: the side effects around the pure step of
 * `readings.ts`. A good poll settles the device's name, marks it online and writes its readings
 * (a strip's outlets announced online as they first appear), commits its lifetime totals and
 * logs and counts its spikes. A failed poll is counted and logged, and after
 * `poll.offlineAfter` in a row the device and its outlets are published offline, once.
 *
 * A good poll of a plug that another device answered as first (same MAC or deviceId,
 * `plug-claims.ts`) is not published: it counts as a failed poll `POLL_DUPLICATE`, told once.
 * Spike warnings are rate-limited per device and field (a plug that reports a negative power
 * at every tick logs once per {@link SPIKE_LOG_INTERVAL_MS}); every spike is still counted.
 *
 * The write-ahead of the energy totals is shared: a poll whose totals need the file written
 * before they are published (a new device, a draw above its recent rate, `energy/totals.ts`)
 * has its sink calls held (`held-calls.ts`), and the polls that complete in the same turn of
 * the event loop (a tick's answers, on a large fleet hundreds at once) share one write at
 * `setImmediate`; then the held calls go out in arrival order. While some are held, every
 * other sink call (a poll that needs no write, an offline announcement) queues behind them, so
 * each device's readings and availability keep their order. Without totals, or while the file
 * cannot be written (logged by `totals.ts`), sink calls go out at once, as they come.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { FilterConfig } from '../config/types.js';
import type { EnergyTotals } from '../energy/totals.js';
import { totalsKey } from '../energy/totals-file.js';
import { PollError, PollErrorCode } from '../errors.js';
import type { DeviceSample } from '../kasa/device.js';
import { heldNote, LogThrottle } from '../log/throttle.js';
import { deviceKey, sameIdentity, type DeviceInfo, type Reading } from '../reading.js';
import type { PollObserver, Sink } from '../sinks/sink.js';
import { HeldCalls } from './held-calls.js';
import { PlugClaims } from './plug-claims.js';
import type { PolledDevice } from './polled-device.js';
import type { PollFailure } from './poller.js';
import { pollReadings } from './readings.js';

/** Least time between two spike warnings of one device, ms: 10 minutes. */
export const SPIKE_LOG_INTERVAL_MS = 600_000;

/** What {@link PollOutcomes} needs: the collector's own dependencies. */
export interface OutcomeDeps {
  /** Paces the spike warnings (monotonic). */
  clock: Pick<Clock, 'monotonic'>;
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

/** A plug's outlets: none. */
const NO_OUTLETS: readonly DeviceInfo[] = [];

/** Delivers poll outcomes to the sink, the observer and the log. Never throws on a plug's data. */
export class PollOutcomes {
  /** Devices whose last failure was a bug (`INTERNAL_ERROR`), logged once until a good poll. */
  readonly #bugs = new WeakSet<PolledDevice>();
  /** The plug each device answers as. */
  readonly #claims = new PlugClaims<PolledDevice>();
  /** Devices told to be a duplicate, until they answer as a plug of their own. */
  readonly #duplicates = new WeakSet<PolledDevice>();
  readonly #spikeLog: LogThrottle;
  /** Sink calls held behind the energy totals' shared write-ahead (`held-calls.ts`). */
  readonly #held: HeldCalls;

  /**
   * @param deps logger, sink, bounds, totals and observer
   * @param counters updated in place (the collector's `stats`)
   */
  constructor(
    private readonly deps: OutcomeDeps,
    private readonly counters: PollCounters,
  ) {
    this.#spikeLog = new LogThrottle(deps.clock, {
      perKeyMs: SPIKE_LOG_INTERVAL_MS,
      maxKeys: 4096,
    });
    this.#held = new HeldCalls(() => deps.energyTotals?.writeAhead(), deps.log);
  }

  /**
   * Writes the energy totals' file once for every held poll, then hands their readings and
   * availability to the sink in arrival order. Synchronous; nothing to do when nothing is
   * held. Runs by itself at the end of the loop turn that held something; the collector calls
   * it before it stops the sink or publishes a removed device offline. A failed write is
   * logged by `EnergyTotals` and the readings go out anyway (their totals keep counting in
   * memory and the write is retried); a sink that throws is logged and the others still get
   * theirs.
   */
  flush(): void {
    this.#held.flush();
  }

  /** Forgets what is kept about a device dropped from the config (its claim on a plug). */
  forget(device: PolledDevice): void {
    this.#claims.release(device);
  }

  /**
   * A good poll of `device`.
   * @param time unix s: the tick, or the current second for a relay command's re-poll
   * @param durationS how long the poll took, s (absent for a relay command's re-poll)
   * @param devices every device: a name the others use is not taken, and a plug another one
   *   answered as first is not published twice
   */
  success(
    device: PolledDevice,
    time: number,
    sample: DeviceSample,
    durationS: number | undefined,
    devices: readonly PolledDevice[],
  ): void {
    const { log, energyTotals } = this.deps;
    const held = this.#claims.claim(device, sample.identity);
    if (held !== undefined) {
      this.#duplicate(device, held.owner, held.key, time, durationS, devices);
      return;
    }
    this.#duplicates.delete(device);
    this.counters.pollsOk++;
    this.#bugs.delete(device);
    if (!device.named) this.#settleName(device, sample, devices);
    // The identity object of the last poll when nothing in it changed: sinks that compare it
    // with what they announced last (`info`, Home Assistant discovery) find it the same at once.
    if (sameIdentity(device.identity, sample.identity)) sample.identity = device.identity;
    device.identity = sample.identity;
    device.relay = sample.values.state;
    device.lastSample = sample;
    const info = device.info;
    this.deps.observer?.poll(info, undefined, durationS);
    const cameOnline = device.availability.success() === 'online';
    if (cameOnline)
      log.info({ device: info.name, host: info.host, model: sample.identity.model }, 'plug online');
    // A strip's outlets share its availability: one seen for the first time while the strip is
    // online is announced online too. Every reading goes out before its device's `online`, so
    // no consumer shows a reading from before the stop as current (docs/mqtt-and-home-assistant.md).
    let outlets: readonly DeviceInfo[] = NO_OUTLETS;
    let announce: ReadonlySet<DeviceInfo> | undefined;
    if (sample.outlets !== undefined) {
      const settled = device.settleOutlets(sample.outlets);
      outlets = settled.map(([o]) => device.outletInfo(o));
      announce = new Set(outlets.filter((_, i) => cameOnline || settled[i]?.[1] === true));
    }
    const { host, port } = device.config;
    const key = totalsKey(sample.identity, host, port);
    const out = pollReadings(
      { time, device: info, sample, outlets, totalsKey: key },
      { filter: this.deps.filter, totals: energyTotals },
    );
    for (const { key: k, step } of out.totals) energyTotals?.commit(k, step);
    // Before the readings go out the file must cover the totals they carry (`totals.ts`): the
    // write is shared with the other polls of this loop turn (`held-calls.ts`).
    const needsWrite = out.totals.length > 0 && energyTotals?.aheadDue === true;
    for (const { device: d, field, value, reason } of out.rejections) {
      this.counters.spikes++;
      this.deps.observer?.spike(d, field);
      const notLogged = this.#spikeLog.take(`${deviceKey(d)} ${field}`);
      if (notLogged === undefined) continue;
      log.warn(
        { device: deviceKey(d), field, value, reason, tick: time },
        `spike rejected${heldNote(notLogged)}`,
      );
    }
    const readings = out.readings;
    // The usual case goes out at once, without a closure (see `held-calls.ts`).
    if (!this.#held.wouldHold(needsWrite)) {
      this.#deliver(readings, announce, cameOnline, info);
      return;
    }
    this.#held.run(() => this.#deliver(readings, announce, cameOnline, info), needsWrite);
  }

  /** A good poll's readings to the sink, each outlet's `online` after its reading, then its own. */
  #deliver(
    readings: readonly Reading[],
    announce: ReadonlySet<DeviceInfo> | undefined,
    cameOnline: boolean,
    info: DeviceInfo,
  ): void {
    const { sink } = this.deps;
    for (const reading of readings) {
      sink.write(reading);
      if (announce?.has(reading.device) === true) sink.availability(reading.device, true);
    }
    if (cameOnline) sink.availability(info, true);
  }

  /**
   * Names a device from its first good poll: the first of its derived names no other device
   * uses (configured, settled or standing in). A clash is logged here, once per device.
   */
  #settleName(device: PolledDevice, sample: DeviceSample, devices: readonly PolledDevice[]): void {
    const taken = new Set<string>();
    for (const d of devices) if (d !== device) taken.add(d.info.name);
    const wanted = device.settleName(sample.identity, taken);
    if (wanted === undefined) return;
    const name = device.info.name;
    this.deps.log.warn(
      { device: name, wanted, host: device.config.host },
      `name "${wanted}" is taken by another device; this plug is published as "${name}" (give it a name in devices[] to choose)`,
    );
  }

  /**
   * A good poll of a plug that `owner` answered as first: reported as a failed poll
   * `POLL_DUPLICATE`, and told at warn once (until the device answers as a plug of its own).
   */
  #duplicate(
    device: PolledDevice,
    owner: PolledDevice,
    key: string,
    tickS: number,
    durationS: number | undefined,
    devices: readonly PolledDevice[],
  ): void {
    const what = key.startsWith('mac:') ? 'MAC' : 'deviceId';
    const at = devices.indexOf(owner);
    const message = `the plug answers with the ${what} of devices[${at}] (${owner.target}), which answered first: the same plug is listed twice; its readings are published once, as "${owner.info.name}"; remove one of the two entries`;
    if (!this.#duplicates.has(device)) {
      this.#duplicates.add(device);
      this.deps.log.warn(
        {
          device: device.info.name,
          host: device.config.host,
          code: PollErrorCode.DUPLICATE,
          other: owner.info.name,
        },
        `not published: ${message}`,
      );
    }
    const error = new PollError(PollErrorCode.DUPLICATE, device.target, message);
    this.failure(device, tickS, error, durationS);
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
      const gone = [device.info, ...device.outlets.map((o) => device.outletInfo(o))];
      this.#held.run(() => {
        for (const d of gone) sink.availability(d, false);
      }, false);
    }
  }
}
