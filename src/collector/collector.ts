import { channel } from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config, FilterConfig } from '../config/types.js';
import { PolledDevice } from './polled-device.js';
import type { EnergyTotals } from '../energy/totals.js';
import { totalsKey } from '../energy/totals-file.js';
import { applyBounds } from './bounds.js';
import { Poller, type PollResult } from './poller.js';
import { topicName, type DeviceInfo, type Measurement, type PlugIdentity } from '../reading.js';
import type { DeviceSample, OutletSample } from '../kasa/device.js';
import { sumOutlets } from './strip-sum.js';
import { HarmonizedSchedule } from './schedule.js';
import type { PollObserver, RelayCommand, Sink } from '../sinks/sink.js';
import { RelayControl, type CommandOutcome } from './relay-control.js';

/** What the collector needs from outside; everything is injected (STYLE.md habit 6). */
export interface CollectorDeps {
  clock: Clock;
  log: Logger;
  /** Usually a `Fanout` over the configured sinks. */
  sink: Sink;
  /** Builds a device's state; tests inject plugs through it. */
  makeDevice?: (config: Config['devices'][number], offlineAfter: number) => PolledDevice;
  /** Physical bounds (the `filter` slice); absent: values are published as the plug sent them. */
  filter?: FilterConfig;
  /** Lifetime energy counters; absent: readings carry no `energy_total`. */
  energyTotals?: EnergyTotals;
  /** Told of every poll outcome and spike (the Prometheus sink); absent: nobody is. */
  observer?: PollObserver;
}

/**
 * Every poll outcome is published here as `{ device: string, ok: boolean }` when someone
 * subscribes (Node's `diagnostics_channel`; free when nobody does). The benchmark's preload
 * (`bench/collector-report.ts`) counts polls through it without a hook in the start path.
 */
export const POLL_CHANNEL = 'kasa-collector:poll';
const pollChannel = channel(POLL_CHANNEL);

/** Counters since start, for logs, the demo and tests. */
export interface CollectorStats {
  ticks: number;
  skippedTicks: number;
  pollsOk: number;
  pollsFailed: number;
  /** Values removed by the spike filter (one per field per reading). */
  spikes: number;
}

/**
 * The main loop: on each harmonized tick, poll every device, stamp each good sample with the
 * tick's time, and hand it to the sink; track availability and log one line per change.
 */
export class Collector {
  #devices: PolledDevice[];
  readonly stats: CollectorStats = {
    ticks: 0,
    skippedTicks: 0,
    pollsOk: 0,
    pollsFailed: 0,
    spikes: 0,
  };
  readonly #schedule: HarmonizedSchedule;
  readonly #poller: Poller<PolledDevice>;
  readonly #relay: RelayControl;
  #started = false;

  /**
   * @param config the validated config (poll slice and devices are used here)
   * @param deps clock, logger and sink
   */
  constructor(
    private readonly config: Pick<Config, 'poll' | 'devices'>,
    private readonly deps: CollectorDeps,
  ) {
    this.#devices = config.devices.map((d) => this.makeDevice(d));
    this.#relay = new RelayControl(config.poll.timeout * 1000, deps.log);
    this.#poller = new Poller<PolledDevice>(
      { timeoutMs: config.poll.timeout * 1000, concurrency: config.poll.concurrency },
      (d, tick, result, durationS) => this.onResult(d, tick, result, durationS),
      deps.clock,
    );
    this.#schedule = new HarmonizedSchedule(config.poll.interval, deps.clock, (tick, skipped) =>
      this.onTick(tick, skipped),
    );
  }

  /**
   * Loads the energy totals (a corrupt file is set aside and logged, never fatal), starts the
   * sink (which never waits for its remote end) and the schedule.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.deps.energyTotals?.load();
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
   * Stops ticking, lets in-flight polls finish (each is bounded by `poll.timeout`), persists the
   * energy totals, then stops the sink. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#schedule.stop();
    this.#poller.cancelPending();
    await this.#poller.idle();
    for (const d of this.#devices) d.close();
    this.deps.energyTotals?.close();
    await this.deps.sink.stop();
    this.deps.log.info({ ...this.stats }, 'collector stopped');
  }

  /** The devices polled at each tick. */
  get devices(): readonly PolledDevice[] {
    return this.#devices;
  }

  /**
   * Replaces the device list without a restart (SIGHUP). A device whose entry is unchanged keeps
   * its state (plug session, availability, name); a changed or new entry starts fresh; a removed
   * device is published `offline` so dashboards do not show it as live. Polls in flight finish
   * and are delivered as usual.
   * @param devices the new `devices` config, already validated
   * @returns how many devices were added, removed and kept
   */
  setDevices(devices: Config['devices']): { added: number; removed: number; kept: number } {
    const key = (d: Config['devices'][number]): string =>
      JSON.stringify([d.host, d.port, d.name, d.node, d.control, d.outlets]);
    const old = new Map(this.#devices.map((d) => [key(d.config), d]));
    const next = devices.map((c) => old.get(key(c)) ?? this.makeDevice(c));
    const kept = next.filter((d) => old.get(key(d.config)) === d);
    const removed = this.#devices.filter((d) => !next.includes(d));
    for (const d of removed) d.close();
    this.#devices = next;
    for (const d of removed) {
      const outlets = d.outlets.map((o) => d.outletInfo(o));
      if (d.availability.online) {
        this.deps.sink.availability(d.info, false);
        for (const o of outlets) this.deps.sink.availability(o, false);
      }
      if (d.named) {
        this.deps.sink.removed?.(d.info);
        for (const o of outlets) this.deps.sink.removed?.(o);
      }
    }
    return { added: next.length - kept.length, removed: removed.length, kept: kept.length };
  }

  private makeDevice(c: Config['devices'][number]): PolledDevice {
    const make =
      this.deps.makeDevice ?? ((dc, n) => new PolledDevice(dc, n, undefined, this.deps.clock));
    return make(c, this.config.poll.offlineAfter);
  }

  /**
   * Runs a relay command (`relay-control.ts`) and, once switched, publishes the re-poll as a
   * reading stamped with the current unix second (not a tick: it is an extra reading). Never rejects.
   */
  async command(command: RelayCommand): Promise<CommandOutcome> {
    const { outcome, device, sample } = await this.#relay.run(this.#devices, command);
    if (sample && device && this.#devices.includes(device)) {
      this.onResult(device, Math.floor(this.deps.clock.now() / 1000), { ok: true, sample });
    }
    return outcome;
  }

  /** Polls every device once for `tickS` now, outside the schedule (used by tests and `poll`). */
  pollNow(tickS: number): Promise<void> {
    return this.#poller.pollTick(this.#devices, tickS);
  }

  private onTick(tickS: number, skipped: number): void {
    this.stats.ticks++;
    if (skipped > 0) {
      this.stats.skippedTicks += skipped;
      this.deps.log.warn({ skipped, tick: tickS }, 'ticks skipped: the process was stalled');
    }
    void this.#poller.pollTick(this.#devices, tickS);
  }

  private onResult(
    device: PolledDevice,
    tickS: number,
    result: PollResult,
    durationS?: number,
  ): void {
    const { log, sink } = this.deps;
    if (pollChannel.hasSubscribers)
      pollChannel.publish({ device: device.info.name, ok: result.ok });
    if (!result.ok) {
      this.stats.pollsFailed++;
      const { error } = result;
      this.deps.observer?.poll(device.info, error.code, durationS, error.message);
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
        for (const o of device.outlets) sink.availability(device.outletInfo(o), false);
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
    device.relay = sample.values.state;
    const info = device.info;
    this.deps.observer?.poll(info, undefined, durationS);
    const cameOnline = device.availability.success() === 'online';
    if (cameOnline)
      log.info({ device: info.name, host: info.host, model: sample.identity.model }, 'plug online');
    // The reading goes out before `online`, so no consumer shows an earlier reading as current.
    if (sample.outlets !== undefined) {
      this.writeStrip(device, tickS, sample, sample.outlets, cameOnline);
    } else {
      const key = totalsKey(device.identity, device.config.host, device.config.port);
      sink.write({
        time: tickS,
        device: info,
        identity: sample.identity,
        values: this.checkedValues(info, key, tickS, sample.values),
        hasEmeter: sample.hasEmeter,
      });
    }
    if (cameOnline) sink.availability(info, true);
  }

  /**
   * A strip's good sample: one reading per outlet (`<p>/<strip>/<outlet>`, each with its own
   * spike filter, lifetime total and emonhub node), then the strip's own reading, its values
   * the sums of the outlets' published ones (`strip-sum.ts`). Outlets share the strip's
   * availability; one seen for the first time while the strip is online is announced online.
   */
  private writeStrip(
    device: PolledDevice,
    tickS: number,
    sample: DeviceSample,
    outlets: readonly OutletSample[],
    cameOnline: boolean,
  ): void {
    const { sink } = this.deps;
    const stripKey = totalsKey(device.identity, device.config.host, device.config.port);
    const settled = device.settleOutlets(outlets);
    const published: Measurement[] = [];
    outlets.forEach((o, i) => {
      const [outlet, isNew] = settled[i] as (typeof settled)[number];
      const info = device.outletInfo(outlet);
      const identity: PlugIdentity = { ...sample.identity };
      if (o.alias !== undefined) identity.alias = o.alias;
      else delete identity.alias;
      // The outlet's WiFi is the strip's: its rssi goes with every outlet (emonhub frames need it).
      const raw =
        sample.values.rssi === undefined ? o.values : { ...o.values, rssi: sample.values.rssi };
      const values = this.checkedValues(info, `${stripKey}/${o.position}`, tickS, raw);
      published.push(values);
      sink.write({ time: tickS, device: info, identity, values, hasEmeter: sample.hasEmeter });
      if (cameOnline || isNew) sink.availability(info, true);
    });
    sink.write({
      time: tickS,
      device: device.info,
      identity: sample.identity,
      values: { ...sample.values, ...sumOutlets(published) },
      hasEmeter: sample.hasEmeter,
      outlets: outlets.length,
    });
  }

  /**
   * A good sample's values as published: spikes removed (each logged at warn and counted), then
   * the lifetime `energy_total` added when the plug's `energy` survived the filter. A rejected
   * `energy` gets no `energy_total`: a total computed from a glitch could never be taken back.
   * @returns a new object; the sample is not modified
   */
  private checkedValues(
    info: DeviceInfo,
    totalsKeyOf: string,
    tickS: number,
    raw: Measurement,
  ): Measurement {
    const { filter, energyTotals, log } = this.deps;
    let values: Measurement = { ...raw };
    if (filter) {
      const bounded = applyBounds(raw, filter);
      values = bounded.values;
      for (const { field, value, reason } of bounded.rejected) {
        this.stats.spikes++;
        this.deps.observer?.spike(info, field);
        log.warn({ device: topicName(info), field, value, reason, tick: tickS }, 'spike rejected');
      }
    }
    const { energy } = values;
    if (energyTotals && energy !== undefined && Number.isFinite(energy) && energy >= 0) {
      values.energy_total = energyTotals.update(totalsKeyOf, energy, tickS);
    }
    return values;
  }
}
