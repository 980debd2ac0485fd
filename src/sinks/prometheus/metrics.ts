/**
 * The Prometheus metric families, named per the Prometheus docs ("Metric and label naming",
 * prometheus.io/docs/practices/naming/): base units in the name (`_watts`, `_volts`, `_amperes`,
 * `_joules_total`, `_seconds`), `_total` only on counters, static facts in an `_info` gauge, `_up`
 * per device.
 *
 * Every per-device series carries `device` (the MQTT name) and `outlet`: empty for a plug and for
 * a strip itself, the outlet's name for a strip's outlet (docs/metrics.md). A strip's summed
 * power, voltage, current and energy are NOT exported (only its outlets' are), so `sum()` over
 * a family never counts a strip twice; the strip keeps its `up`, `rssi` and `info` series.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../../errors.js';
import { deviceKey, type DeviceInfo, type Measurement, type Reading } from '../../reading.js';

/**
 * prom-client, loaded when the first {@link KasaMetrics} is built rather than when this module
 * is: a collector with `http` off never loads it (~10 MB of RSS on a Pi). It is a CommonJS
 * package, so a synchronous `require` suffices.
 */
function promClient(): typeof PromClient {
  const load = createRequire(import.meta.url);
  return load('prom-client') as typeof PromClient;
}

/** A sink's backlog as the metrics read it at scrape time (`MqttSink`, `EmonhubSink`). */
export interface QueueStats {
  readonly name: string;
  /** Entries waiting to be sent now. */
  readonly queued: number;
  /** Entries dropped since start because the backlog was full. */
  readonly dropped: number;
  /** How long the oldest waiting entry has waited, s; absent: not tracked by this sink. */
  readonly backlogAgeS?: number;
}

/** Kilowatt-hours to joules: 1 kWh = 3.6 MJ. */
export const JOULES_PER_KWH = 3.6e6;

/** Poll duration buckets, s: a LAN plug answers in ~10–50 ms; `poll.timeout` is 2 s by default. */
export const POLL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];

/**
 * Values at or above this magnitude are not exported: no plug measures anything near it, so it
 * is a glitch that got through, and (× 3.6e6 for joules) it could overflow to Infinity, which
 * a counter refuses: one device's value must never fail the whole scrape.
 */
export const MAX_METRIC_VALUE = 1e15;

/** True for a value the exposition can carry: finite and below {@link MAX_METRIC_VALUE}. */
function exportable(v: number): boolean {
  return Number.isFinite(v) && Math.abs(v) < MAX_METRIC_VALUE;
}

type Instant = 'power' | 'voltage' | 'current' | 'rssi';
const DEVICE = ['device', 'outlet'] as const;
type Labels = { device: string; outlet: string };

/** `device` and `outlet` labels: the strip's name and the outlet's for an outlet, else `outlet=""`. */
function labelsOf(device: DeviceInfo): Labels {
  return { device: device.name, outlet: device.outlet?.name ?? '' };
}

/**
 * The collector's metrics in one {@link Registry} of their own (never prom-client's global
 * one, so two instances, e.g. in tests, never share series).
 */
export class KasaMetrics {
  /** Holds every family below plus the process metrics (`process_*`, `nodejs_*`). */
  readonly registry: Registry;
  readonly #instant: Record<Instant, Gauge<'device' | 'outlet'>>;
  readonly #relay: Gauge<'device' | 'outlet'>;
  readonly #up: Gauge<'device' | 'outlet'>;
  readonly #info: Gauge<'device' | 'host' | 'model' | 'hw_ver' | 'sw_ver' | 'mac'>;
  readonly #polls: Counter<'device' | 'result'>;
  readonly #spikes: Counter<'device' | 'outlet' | 'field'>;
  readonly #invalid: Counter<'device' | 'outlet' | 'field'>;
  readonly #duration: Histogram<'device'>;
  /** Lifetime energy per device or outlet (by `deviceKey`), J; only ever raised. */
  readonly #joules = new Map<string, { labels: Labels; j: number }>();
  /** The `kasa_device_info` labels last set per device, to remove them when they change. */
  readonly #infoLabels = new Map<string, Record<string, string>>();
  #sinks: readonly QueueStats[] = [];

  constructor() {
    const prom = promClient();
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = prom;
    this.registry = new Registry();
    const registers = [this.registry];
    const gauge = (name: string, help: string): Gauge<'device' | 'outlet'> =>
      new Gauge({ name, help, labelNames: DEVICE, registers });
    this.#instant = {
      power: gauge('kasa_power_watts', 'Real power, W.'),
      voltage: gauge('kasa_voltage_volts', 'RMS voltage, V.'),
      current: gauge('kasa_current_amperes', 'RMS current, A.'),
      rssi: gauge('kasa_rssi_dbm', 'WiFi signal strength, dBm.'),
    };
    this.#relay = gauge('kasa_relay_on', 'Relay state: 1 on, 0 off.');
    this.#up = gauge('kasa_device_up', '1 while the plug answers, 0 once it is offline.');
    this.#info = new Gauge({
      name: 'kasa_device_info',
      help: 'What the plug says about itself; always 1.',
      labelNames: ['device', 'host', 'model', 'hw_ver', 'sw_ver', 'mac'],
      registers,
    });
    const joules = this.#joules;
    // A Counter cannot be set, but the lifetime total is kept (and persisted) by the collector,
    // not counted here: collect() rebuilds each series from the last total at scrape time, and
    // #joules only ever rises, so the exposed counter never decreases (Prometheus `rate()`
    // would read a drop as a reset).
    new Counter({
      name: 'kasa_energy_joules_total',
      help: 'Lifetime energy (energy_total, kWh x 3.6e6), J; survives plug reboots.',
      labelNames: DEVICE,
      registers,
      collect() {
        this.reset();
        for (const { labels, j } of joules.values()) this.inc(labels, j);
      },
    });
    this.#polls = new Counter({
      name: 'kasa_polls_total',
      help: 'Polls by outcome: result="ok" or the failure code (PLUG_TIMEOUT, POLL_NOT_STARTED, ...; docs/error-codes.md).',
      labelNames: ['device', 'result'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'kasa_poll_duration_seconds',
      help: 'Time one plug took to answer a poll (failed polls included), s.',
      labelNames: ['device'],
      buckets: POLL_BUCKETS,
      registers,
    });
    this.#spikes = new Counter({
      name: 'kasa_spikes_total',
      help: 'Values removed by the spike filter (filter.*), by field.',
      labelNames: ['device', 'outlet', 'field'],
      registers,
    });
    this.#invalid = new Counter({
      name: 'kasa_invalid_values_total',
      help: `Reading values not exported because they were not finite, negative energy, or ${MAX_METRIC_VALUE} or more, by field.`,
      labelNames: ['device', 'outlet', 'field'],
      registers,
    });
    this.#sinkFamilies(prom, registers);
    collectDefaultMetrics({ register: this.registry });
  }

  /** The sinks whose backlog `kasa_sink_queue_depth` and `kasa_sink_dropped_total` report. */
  watchSinks(sinks: readonly QueueStats[]): void {
    this.#sinks = sinks;
  }

  /**
   * Sets the device's gauges from a published reading; a field it lacks loses its series. A
   * strip's own reading (`outletCount` set) sets only `rssi` and `info`: its sums would double
   * every `sum()` over the outlets, and its `state` is derived from theirs.
   */
  reading(r: Reading): void {
    const labels = labelsOf(r.device);
    const key = deviceKey(r.device);
    const v: Measurement = r.values;
    const strip = r.outletCount !== undefined;
    for (const k of Object.keys(this.#instant) as Instant[]) {
      let value = strip && k !== 'rssi' ? undefined : v[k];
      if (value !== undefined && !exportable(value)) {
        this.#invalid.inc({ ...labels, field: k });
        value = undefined;
      }
      if (value === undefined) this.#instant[k].remove(labels);
      else this.#instant[k].set(labels, value);
    }
    if (v.state === undefined || strip) this.#relay.remove(labels);
    else this.#relay.set(labels, v.state === 'ON' ? 1 : 0);
    const total = v.energy_total;
    if (total !== undefined && !strip) {
      if (exportable(total) && total >= 0) {
        const j = total * JOULES_PER_KWH;
        this.#joules.set(key, { labels, j: Math.max(j, this.#joules.get(key)?.j ?? 0) });
      } else this.#invalid.inc({ ...labels, field: 'energy_total' });
    }
    if (r.device.outlet !== undefined) return;
    const { model = '', hw_ver = '', sw_ver = '', mac = '' } = r.identity;
    const info = { device: r.device.name, host: r.device.host, model, hw_ver, sw_ver, mac };
    const old = this.#infoLabels.get(key);
    if (old && JSON.stringify(old) !== JSON.stringify(info)) this.#info.remove(old);
    this.#infoLabels.set(key, info);
    this.#info.set(info, 1);
  }

  /**
   * Flips `kasa_device_up`. Offline also drops the instantaneous gauges, so a dead plug's last
   * watts do not stay in `sum()`; the energy counter and the info series stay.
   */
  availability(device: DeviceInfo, online: boolean): void {
    const labels = labelsOf(device);
    this.#up.set(labels, online ? 1 : 0);
    if (online) return;
    for (const g of Object.values(this.#instant)) g.remove(labels);
    this.#relay.remove(labels);
  }

  /**
   * Forgets a device dropped from the config: its gauges, info and energy series go, so a removed
   * plug does not stay `kasa_device_up 0` (an alert) forever. Its poll and spike counters stay
   * until restart: prom-client removes series only by their full label set.
   */
  removed(device: DeviceInfo): void {
    const labels = labelsOf(device);
    const key = deviceKey(device);
    for (const g of [...Object.values(this.#instant), this.#relay, this.#up]) g.remove(labels);
    const info = this.#infoLabels.get(key);
    if (info) this.#info.remove(info);
    this.#infoLabels.delete(key);
    this.#joules.delete(key);
  }

  /** Counts one poll outcome (`code` undefined: ok; else a stable code, `src/errors.ts`) and observes its duration when it ran. */
  poll(device: DeviceInfo, code: ErrorCode | undefined, durationS: number | undefined): void {
    this.#polls.inc({ device: device.name, result: code ?? 'ok' });
    if (durationS !== undefined) this.#duration.observe({ device: device.name }, durationS);
  }

  /** Counts one value removed by the spike filter. */
  spike(device: DeviceInfo, field: string): void {
    this.#spikes.inc({ ...labelsOf(device), field });
  }

  #sinkFamilies({ Counter, Gauge }: typeof PromClient, registers: Registry[]): void {
    const sinks = (): readonly QueueStats[] => this.#sinks;
    new Gauge({
      name: 'kasa_sink_queue_depth',
      help: 'Entries waiting in a sink backlog (MQTT outbox, emonhub queue).',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of sinks()) this.set({ sink: s.name }, s.queued);
      },
    });
    new Gauge({
      name: 'kasa_sink_backlog_age_seconds',
      help: 'How long the oldest entry of a sink backlog has waited, s (0 when empty); growing without end: the sink cannot keep up.',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of sinks()) {
          const age = s.backlogAgeS;
          if (age !== undefined && exportable(age)) this.set({ sink: s.name }, age);
        }
      },
    });
    new Counter({
      name: 'kasa_sink_dropped_total',
      help: 'Entries a sink dropped because its backlog was full.',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of sinks()) this.inc({ sink: s.name }, s.dropped);
      },
    });
  }
}
