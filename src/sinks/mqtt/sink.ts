/**
 * Publishes readings to an MQTT broker with MQTT.js, in the layout of `topics.ts`.
 *
 * Failure policy (the connection's own, its reconnects and log lines, is `connection.ts`'s):
 * - Readings go through our outbox (`outbox.ts`, kept in `<state.dir>/mqtt-outbox.json`,
 *   bounded by `mqtt.outbox`), not MQTT.js's offline queue (`queueQoSZero: false`): published
 *   only while connected, in order, with their original `time`, removed once acknowledged, kept
 *   across broker outages and collector restarts. At QoS 0 the outbox still bridges outages,
 *   but what a dying socket carried is lost (nothing acknowledges QoS 0).
 * - The retained `info` and `availability` messages (`device-messages.ts`) are (re)published on
 *   every connect, so a broker restarted without persistence gets them back. `bridge/state` `online` follows only
 *   once the availability an earlier run left `online` is swept (`stale-availability.ts`): a
 *   device is `online` only once this run has read it.
 * - QoS, flow control and socket writes are `publisher.ts`'s: readings at `mqtt.qos`, the
 *   "latest wins" messages at most at QoS 1, all QoS > 0 publishes within the broker's Receive
 *   Maximum together, a burst of publishes in one write.
 */
import type { IConnackPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { MqttConfig } from '../../config/types.js';
import { redactUrl } from './options.js';
import { MqttPublisher } from './publisher.js';
import { MqttConnection, type MqttConnect } from './connection.js';
import type { DeviceInfo, Reading } from '../../reading.js';
import { assertTopicPrefix, bridgeStateMessage, type MqttMessage } from './topics.js';
import { DeviceMessages } from './device-messages.js';
import type { ExtensionFactory, MqttExtension } from './extension.js';
import type { MqttOutbox } from './outbox.js';
import { createMqttOutbox } from './outbox-store.js';
import { inFlightWindow, readingsWindow } from './protocol.js';
import { QOS2_WINDOW, type MqttOutboxOptions } from './outbox-store.js';
import { DEFAULT_WINDOW } from './outbox.js';
import { SendWindow } from './send-window.js';
import type { Sink, SinkDeps, SinkStatus } from '../sink.js';
import { AvailabilitySweep } from './stale-availability.js';

/**
 * What {@link MqttSink} is given beside the `mqtt` slice: logger and clock, the outbox's state
 * dir and window, its extensions (HA discovery, relay commands), and test hooks.
 */
export interface MqttSinkDeps extends SinkDeps, MqttOutboxOptions {
  /**
   * MQTT.js `connect`, replaceable in tests; by default MQTT.js is loaded by `start()`, so a
   * collector with MQTT off never loads it (~15 MB of RSS on a Pi).
   */
  connect?: MqttConnect | undefined;
  /** What rides on the connection besides readings (HA discovery, relay commands); default none. */
  extensions?: ExtensionFactory;
  /** Bound on `stop()`'s flush, ms. Default 2000. */
  stopTimeoutMs?: number;
  /** Bound on the sweep of stale availability before `bridge/state` `online`, ms. Default 2000. */
  sweepTimeoutMs?: number;
}

export { redactUrl };
export type { MqttConnect };

/** The MQTT {@link Sink}. Constructor assigns; `start()` connects; `stop()` disconnects. */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  readonly #log: Logger;
  readonly #outbox: MqttOutbox;
  readonly #stopTimeoutMs: number;
  readonly #clock: Clock;
  /** The client and its events; calls back into `#sizeWindows`, `#onConnect` and the rest. */
  readonly #connection: MqttConnection;
  #stopping: Promise<void> | undefined;
  /** Each device's messages, and the retained ones re-sent on every connect. */
  readonly #devices: DeviceMessages;
  readonly #extensions: MqttExtension[];
  readonly #publisher: MqttPublisher;
  readonly #connect: MqttConnect | undefined;
  /** The window a test fixed (`deps.window`); else each CONNACK sets it. */
  readonly #fixedWindow: number | undefined;
  /** The shared window over MQTT 3.1.1, which announces no Receive Maximum. */
  readonly #fallbackWindow: number;
  /** Absent with the Tasmota layout (its LWT topics are shared with real Tasmota devices). */
  readonly #sweep: AvailabilitySweep | undefined;

  /**
   * @param config the `mqtt` config slice (url, credentials, topicPrefix, qos, clientId)
   * @param deps logger (the sink logs through `log.child({ sink: 'mqtt' })`), clock (the
   *   outbox's writes), state dir (the outbox is memory-only without it), window, extensions,
   *   stop bound, `connect`
   */
  constructor(
    private readonly config: MqttConfig,
    deps: MqttSinkDeps,
  ) {
    this.#log = deps.log.child({ sink: 'mqtt' });
    this.#connect = deps.connect;
    this.#fixedWindow = deps.window;
    this.#stopTimeoutMs = deps.stopTimeoutMs ?? 2_000;
    this.#fallbackWindow = config.qos === 2 ? QOS2_WINDOW : DEFAULT_WINDOW;
    const shared = new SendWindow(this.#fallbackWindow);
    this.#outbox = createMqttOutbox(config, deps, this.#log, deps.clock, shared);
    this.#clock = deps.clock;
    this.#devices = new DeviceMessages(config, this.#log);
    this.#publisher = new MqttPublisher(config.qos, shared, this.#log);
    this.#sweep =
      config.format === 'tasmota'
        ? undefined
        : new AvailabilitySweep(config.topicPrefix, this.#log, this.#clock, deps.sweepTimeoutMs);
    this.#extensions = deps.extensions?.((m) => this.#publishNow(m), this.#log, deps.clock) ?? [];
    this.#connection = new MqttConnection(config, this.#log, this.#clock, {
      sizeWindows: (connack, version) => this.#sizeWindows(connack, version),
      connected: (client) => this.#onConnect(client),
      closed: () => {
        this.#outbox.pause();
        this.#publisher.disconnected();
        this.#sweep?.cancel();
      },
      message: (topic, payload, retained) => {
        if (this.#sweep?.onMessage(topic, payload, retained) === true) return;
        for (const ext of this.#extensions) ext.onMessage?.(topic, payload, retained);
      },
    });
  }

  /** Readings in the outbox (waiting or unacknowledged). */
  get queued(): number {
    return this.#outbox.length;
  }

  /** Readings dropped because the outbox was full. */
  get dropped(): number {
    return this.#outbox.dropped;
  }

  /** Readings whose messages were all acknowledged (written, at QoS 0). */
  get sent(): number {
    return this.#outbox.sent;
  }

  /** True while the client holds a live broker connection. */
  get connected(): boolean {
    return this.#connection.connected;
  }

  /** {@link Sink.status}: the connection, the outbox and the last error. */
  status(): SinkStatus {
    return {
      connected: this.#connection.connected,
      queued: this.#outbox.length,
      unit: 'readings',
      oldestAt: this.#outbox.oldestAt,
      dropped: this.#outbox.dropped,
      lastError: this.#connection.lastFailure,
    };
  }

  /**
   * Loads MQTT.js (on the first start only), creates the client and returns; the connection
   * comes up in the background.
   * @throws Error when the topic prefix is invalid, or MQTT.js rejects the URL
   */
  async start(): Promise<void> {
    const connect = this.#connect ?? (await import('mqtt')).connect;
    if (this.#connection.client !== undefined || this.#stopping !== undefined) return;
    assertTopicPrefix(this.config.topicPrefix);
    this.#outbox.load();
    this.#connection.start(connect);
  }

  /**
   * Sets the windows from a new connection's CONNACK: the one all QoS > 0 publishes share, and
   * the readings' own unless a test fixed it.
   * @returns the readings' window, messages
   */
  #sizeWindows(connack: IConnackPacket | undefined, version: number | undefined): number {
    this.#publisher.window.setLimit(inFlightWindow(connack, version, this.#fallbackWindow));
    if (this.#fixedWindow === undefined)
      this.#outbox.setWindow(readingsWindow(this.config.qos, connack, version));
    return this.#outbox.window;
  }

  /** The connection is up: re-sends what is retained, then the readings, then `online`. */
  #onConnect(client: MqttClient): void {
    const publisher = this.#publisher;
    publisher.connected(client);
    for (const m of this.#devices.retained()) publisher.latest(client, m);
    const topics = this.#extensions.flatMap((e) => e.subscriptions);
    if (topics.length > 0) client.subscribe(topics, { qos: this.config.qos });
    for (const ext of this.#extensions) ext.onConnect();
    // Then the readings: MQTT.js has already re-sent those in flight at the last disconnect.
    this.#outbox.resume((m, done) => publisher.reading(client, m, done));
    const online = (): void =>
      publisher.latest(client, bridgeStateMessage(this.config.topicPrefix, true));
    if (this.#sweep === undefined) return online();
    this.#sweep.start(client, {
      onlineNow: (topic) => this.#devices.saidOnline(topic),
      publish: (topic, payload) => publisher.latest(client, { topic, payload, retain: true }),
      sync: (topic, payload) =>
        publisher.urgent(client, { topic, payload, retain: false }, 1, (err) => {
          if (err) this.#log.debug({ err, topic }, 'availability sync not sent');
        }),
      done: online,
    });
  }

  /**
   * Publishes when connected (as the window lets), else drops (and while stopping): for "latest
   * wins" messages re-sent on connect.
   */
  #publishNow(m: MqttMessage): void {
    const client = this.#connection.client;
    if (this.#connection.connected && client !== undefined && this.#stopping === undefined)
      this.#publisher.latest(client, m);
  }

  /**
   * Queues the reading's messages (`mqtt.output`: the JSON state, the per-field values or both)
   * as one outbox entry (published at once when connected), and publishes `info` when it
   * changed. Never throws.
   */
  write(reading: Reading): void {
    const client = this.#connection.client;
    if (client === undefined || this.#stopping !== undefined) return;
    const encoded = this.#devices.reading(reading);
    if (encoded === undefined) return;
    const { messages, info } = encoded;
    if (messages.length > 0) this.#outbox.push(messages);
    for (const ext of this.#extensions) ext.onReading?.(reading);
    if (info !== undefined && this.#connection.connected) this.#publisher.latest(client, info);
  }

  /** Publishes the retained availability now, or on the next connect when offline. Never throws. */
  availability(device: DeviceInfo, online: boolean): void {
    const client = this.#connection.client;
    if (client === undefined || this.#stopping !== undefined) return;
    const m = this.#devices.availability(device, online);
    if (m !== undefined && this.#connection.connected) this.#publisher.latest(client, m);
  }

  /** The device left the config: extensions clean up after it (HA removes its device). */
  removed(device: DeviceInfo): void {
    if (this.#stopping !== undefined) return;
    for (const ext of this.#extensions) ext.removed?.(device);
  }

  /**
   * Takes no more readings, waits for the outbox to be delivered, publishes `bridge/state`
   * `offline` (retained) and disconnects cleanly. After `stopTimeoutMs` it gives up and drops
   * the connection (the broker then publishes the same `offline` as the last will). Either way
   * what is left in the outbox, unacknowledged entries included, is written to the state dir
   * and nothing more is published. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    const client = this.#connection.client;
    if (client === undefined) return;
    this.#connection.stopping();
    this.#sweep?.cancel(); // its `online` must not follow the `offline` below
    const t0 = this.#clock.monotonic();
    const delivered = await this.#outbox.drain(this.#stopTimeoutMs);
    const left = this.#stopTimeoutMs - (this.#clock.monotonic() - t0);
    const off = bridgeStateMessage(this.config.topicPrefix, false);
    const publisher = this.#publisher;
    const qos = this.config.qos;
    // `offline` is the last message: what still waits is dropped (in flight still completes).
    const publish = (m: MqttMessage, done: () => void): void => {
      publisher.dropWaiting();
      publisher.urgent(client, m, qos, () => {
        publisher.disconnected();
        done();
      });
    };
    const said = delivered && (await this.#connection.sayOfflineAndEnd(off, publish, left));
    if (!said)
      this.#log.warn({ unsent: this.#outbox.length }, 'MQTT flush timed out; closing anyway');
    this.#connection.close(said);
    const { sent, length: unsent } = this.#outbox;
    this.#log.info({ sent, unsent }, 'MQTT sink stopped');
  }
}
