/**
 * Prometheus metrics and the health check as one more sink: the fan-out feeds it readings and
 * availability like MQTT and emonhub, and starts and stops its HTTP endpoint with the others,
 * so shutdown needs no extra step. It is also the collector's {@link PollObserver}, for
 * what never reaches a sink (failed polls, durations, spikes).
 */
import type { HttpConfig } from '../../config/types.js';
import type { ErrorCode } from '../../errors.js';
import type { DeviceInfo, Reading } from '../../reading.js';
import type { PollObserver, Sink, SinkDeps } from '../sink.js';
import { Health } from './health.js';
import { MetricsHttpServer, type HttpRoute } from './http-server.js';
import { KasaMetrics, type QueueStats } from './metrics.js';

/** Where to serve: the `http` slice's bind address and port (0 picks a free port, for tests). */
export type MetricsSinkConfig = Pick<HttpConfig, 'host' | 'port'>;

/** What {@link MetricsSink} is given beside the `http` slice. */
export interface MetricsSinkDeps extends SinkDeps {
  /**
   * The nominal interval, s (`poll.interval`, or the longest gap between `poll.cron` runs):
   * `/healthz` fails after 3 of them without a successful poll.
   */
  intervalS: number;
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

  /**
   * @param config the `http` slice: bind address and port
   * @param deps logger (the endpoint logs through a child with `sink: 'metrics'`), clock (the
   *   health check's freshness), `poll.interval` and the sinks whose backlogs are reported
   */
  constructor(config: MetricsSinkConfig, deps: MetricsSinkDeps) {
    this.metrics.watchSinks(deps.sinks ?? []);
    this.#health = new Health(deps.intervalS, deps.clock);
    this.#server = new MetricsHttpServer(
      { host: config.host, port: config.port },
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
  poll(device: DeviceInfo, code: ErrorCode | undefined, durationS: number | undefined): void {
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
