import { channel } from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config, FilterConfig } from '../config/types.js';
import { PolledDevice } from './polled-device.js';
import type { EnergyTotals } from '../energy/totals.js';
import { Poller, type PollResult } from './poller.js';
import { PollOutcomes, type PollCounters } from './outcome.js';
import { HarmonizedSchedule } from './schedule.js';
import { tickPattern } from '../config/tick-pattern.js';
import type { DeviceSample } from '../kasa/sample.js';
import type { PollObserver, RelayCommand, Sink } from '../sinks/sink.js';
import { RelayControl, type RelayCommandOutcome } from './relay-control.js';

/** What the collector needs from outside; everything is injected. */
export interface CollectorDeps {
  clock: Clock;
  log: Logger;
  /** Usually a `Fanout` over the configured sinks. */
  sink: Sink;
  /** Builds a polled device; tests inject plugs through it. */
  makeDevice?: (config: Config['devices'][number], offlineAfter: number) => PolledDevice;
  /** Physical bounds (the `filter` slice); absent: values are published as the plug sent them. */
  filter?: FilterConfig;
  /** Lifetime energy counters; absent: readings carry no `energy_total`. */
  energyTotals?: EnergyTotals;
  /** Told of every poll outcome, spike and completed tick (the Prometheus sink); absent: nobody is. */
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
export interface CollectorStats extends PollCounters {
  ticks: number;
  skippedTicks: number;
  /** Wall-clock steps seen by the schedule (NTP setting the clock). */
  clockSteps: number;
}

/**
 * The main loop: on each harmonized tick, poll every device, stamp each good sample with the
 * tick's time, and hand it to the sink; track availability and log one line per change (what
 * happens with each outcome is `outcome.ts`; how a sample becomes readings, `readings.ts`).
 */
export class Collector {
  #devices: PolledDevice[];
  readonly stats: CollectorStats = {
    ticks: 0,
    skippedTicks: 0,
    clockSteps: 0,
    pollsOk: 0,
    pollsFailed: 0,
    spikes: 0,
  };
  readonly #schedule: HarmonizedSchedule;
  readonly #poller: Poller<PolledDevice>;
  readonly #relay: RelayControl;
  readonly #outcomes: PollOutcomes;
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
    standIns(this.#devices);
    this.#relay = new RelayControl(config.poll.timeout * 1000, {
      clock: deps.clock,
      log: deps.log,
      onSwitched: (device, sample) => this.onSwitched(device, sample),
    });
    this.#outcomes = new PollOutcomes(deps, this.stats);
    this.#poller = new Poller<PolledDevice>(
      { timeoutMs: config.poll.timeout * 1000, concurrency: config.poll.concurrency },
      (d, tick, result, durationS) => this.onResult(d, tick, result, durationS),
      deps.clock,
    );
    this.#schedule = new HarmonizedSchedule(
      tickPattern(config.poll),
      deps.clock,
      (tick, skipped, stepS) => this.onTick(tick, skipped, stepS),
      () => deps.log.error({ cron: config.poll.cron }, 'poll.cron has no run left: polling stops'),
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
    this.#relay.start();
    await this.deps.sink.start();
    this.#schedule.start();
    this.deps.log.info(
      {
        devices: this.devices.length,
        ...(this.config.poll.cron ? { cron: this.config.poll.cron } : {}),
        interval: this.config.poll.interval,
        firstTick: this.#schedule.next,
      },
      'collector started',
    );
  }

  /**
   * Stops ticking, lets in-flight polls finish (each is bounded by `poll.timeout`), hands the
   * readings held for the energy totals' write to the sink (`outcome.ts`), persists the
   * energy totals, then stops the sink. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#schedule.stop();
    this.#relay.stop();
    this.#poller.cancelPending();
    await this.#poller.idle();
    this.#outcomes.flush(); // readings held for the energy totals' write go out before the sink stops
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
   * its plug session, availability and name; a changed or new entry starts fresh; a removed
   * device is published `offline` so dashboards do not show it as live. Configured names win: a
   * device whose name came from its alias (or MAC) and that the new config gives to another
   * device starts fresh too, and is named again at its next answer. Polls in flight finish
   * and are delivered as usual.
   * @param devices the new `devices` config, already validated
   * @returns how many devices were added, removed and kept
   */
  setDevices(devices: Config['devices']): { added: number; removed: number; kept: number } {
    const key = (d: Config['devices'][number]): string =>
      JSON.stringify([
        d.host,
        d.port,
        d.name,
        d.node,
        d.control,
        d.outlets,
        d.transport,
        d.username,
        d.password,
        d.passwordFile,
      ]);
    const configured = new Set(devices.flatMap((c) => (c.name === undefined ? [] : [c.name])));
    const old = new Map(this.#devices.map((d) => [key(d.config), d]));
    const next = devices.map((c) => {
      const same = old.get(key(c));
      const nameTaken =
        same !== undefined && c.name === undefined && configured.has(same.info.name);
      return same !== undefined && !nameTaken ? same : this.makeDevice(c);
    });
    const kept = next.filter((d) => old.get(key(d.config)) === d);
    const removed = this.#devices.filter((d) => !next.includes(d));
    this.#outcomes.flush(); // a removed device's held readings go out before its offline
    for (const d of removed) {
      d.close();
      this.#outcomes.forget(d);
    }
    this.#devices = next;
    standIns(next);
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
   * Runs a relay command (`relay-control.ts`: coalesced per relay, spaced, only with `control`).
   * Never rejects.
   * @returns how it ended, once the request carrying it is done
   */
  relayCommand(command: RelayCommand): Promise<RelayCommandOutcome> {
    return this.#relay.run(this.#devices, command);
  }

  /**
   * A relay moved: its re-poll is published as a reading stamped with the current unix second
   * (not a tick: it is an extra reading), unless the device left the config meanwhile.
   */
  private onSwitched(device: PolledDevice, sample: DeviceSample): void {
    if (!this.#devices.includes(device)) return;
    this.onResult(device, Math.floor(this.deps.clock.now() / 1000), { ok: true, sample });
  }

  /**
   * Polls every device once for `tickS` now, outside the schedule (used by tests and `poll`);
   * resolves once every reading is handed to the sink.
   */
  async pollNow(tickS: number): Promise<void> {
    await this.#poller.pollTick(this.#devices, tickS);
    this.#outcomes.flush();
  }

  /** See `TickHandler` in `schedule.ts`: a step and a stall are told apart and logged once each. */
  private onTick(tickS: number, skipped: number, stepS: number): void {
    this.stats.ticks++;
    if (stepS !== 0) {
      this.stats.clockSteps++;
      const way = stepS < 0 ? 'back' : 'forward';
      this.deps.log.warn(
        { stepS, tick: tickS },
        `wall clock stepped ${way} ${Math.abs(stepS)} s: ticks re-aligned to the new time`,
      );
    }
    if (skipped > 0) {
      this.stats.skippedTicks += skipped;
      this.deps.log.warn({ skipped, tick: tickS }, 'ticks skipped: the process was stalled');
    }
    const observer = this.deps.observer;
    void this.#poller.pollTick(this.#devices, tickS).then(() => observer?.tickDone?.(tickS));
  }

  private onResult(
    device: PolledDevice,
    tickS: number,
    result: PollResult,
    durationS?: number,
  ): void {
    if (pollChannel.hasSubscribers)
      pollChannel.publish({ device: device.info.name, ok: result.ok });
    if (result.ok) this.#outcomes.success(device, tickS, result.sample, durationS, this.#devices);
    else this.#outcomes.failure(device, tickS, result.error, durationS);
  }
}

/**
 * Gives each device not yet named the name it stands in under until its first answer, in list
 * order, so that none takes a name another device has (configured, settled or standing in).
 */
function standIns(devices: readonly PolledDevice[]): void {
  const taken = new Set(devices.filter((d) => d.named).map((d) => d.info.name));
  for (const d of devices) {
    if (d.named) continue;
    d.standIn(taken);
    taken.add(d.info.name);
  }
}
