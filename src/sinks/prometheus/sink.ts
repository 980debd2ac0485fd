/**
 * Prometheus metrics and the health check as one more sink: the fan-out feeds it readings and
 * availability like MQTT and emonhub, and starts and stops its HTTP endpoint with the others,
 * so shutdown needs no extra step. It is also the collector's {@link PollObserver}, for
 * what never reaches a sink (failed polls, durations, spikes).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { DeviceInfo, Reading } from '../../reading.js';
import type { PollObserver, Sink } from '../sink.js';
import { Health } from './health.js';
import { MetricsHttpServer, type HttpRoute } from './http-server.js';
import { KasaMetrics, type QueueStats } from './metrics.js';

/** Where to serve and how fresh a success must be. */
export interface MetricsSinkOptions {
  /** Bind address (`http.host`). */
  host: string;
  /** `http.port`; 0 picks a free port (tests). */
  port: number;
  /** `poll.interval`, s: `/healthz` fails after 3 intervals without a successful poll. */
  intervalS: number;
}

/** What the sink is given. */
export interface MetricsSinkDeps {
  clock: Clock;
  log: Logger;
  /** Sinks whose backlog is reported (`kasa_sink_queue_depth`, `kasa_sink_dropped_total`). */
  sinks?: readonly QueueStats[];
  /** Other features' routes on the same endpoint (the status page), asked first. */
  routes?: readonly HttpRoute[];
}

/** True for a sink that exposes its backlog counters (`MqttSink`, `EmonhubSink`). */
export function hasQueueStats(sink: Sink): sink is Sink & QueueStats {
  const s = sink as Partial<QueueStats>;
  return typeof s.queued === 'number' && typeof s.dropped === 'number';
}

/** The `http` feature: {@link KasaMetrics} + {@link Health} behind {@link MetricsHttpServer}. */
export class MetricsSink implements Sink, PollObserver {
  readonly name = 'metrics';
  /** The metric families and their registry. */
  readonly metrics = new KasaMetrics();
  readonly #health: Health;
  readonly #server: MetricsHttpServer;

  constructor(options: MetricsSinkOptions, deps: MetricsSinkDeps) {
    this.metrics.watchSinks(deps.sinks ?? []);
    this.#health = new Health(options.intervalS, deps.clock);
    this.#server = new MetricsHttpServer(
      { host: options.host, port: options.port },
      {
        registry: this.metrics.registry,
        health: () => this.#health.report(),
        log: deps.log.child({ sink: 'metrics' }),
        routes: deps.routes ?? [],
      },
    );
  }

  /** The bound port once started (the real one when configured with 0). */
  get port(): number | undefined {
    return this.#server.port;
  }

  /**
   * Starts the health grace period and listens.
   * @throws Error when the port cannot be bound (the fan-out reports it as a failed sink)
   */
  async start(): Promise<void> {
    this.#health.reset();
    await this.#server.start();
  }

  /** Sets the device's gauges; a reading is a successful poll, so it also feeds `/healthz`. */
  write(reading: Reading): void {
    this.#health.success();
    this.metrics.reading(reading);
  }

  /** Sets `kasa_device_up`. */
  availability(device: DeviceInfo, online: boolean): void {
    this.metrics.availability(device, online);
  }

  /** The device left the config (SIGHUP): its series go. */
  removed(device: DeviceInfo): void {
    this.metrics.removed(device);
  }

  /** {@link PollObserver.poll}: `kasa_polls_total`, `kasa_poll_duration_seconds`. */
  poll(device: DeviceInfo, code: string | undefined, durationS: number | undefined): void {
    this.metrics.poll(device, code, durationS);
  }

  /** {@link PollObserver.spike}: `kasa_spikes_total`. */
  spike(device: DeviceInfo, field: string): void {
    this.metrics.spike(device, field);
  }

  /** Closes the endpoint and its connections. Idempotent. */
  async stop(): Promise<void> {
    await this.#server.stop();
  }
}
