/**
 * Publishes readings to an MQTT broker with MQTT.js, in the layout of `mqtt-topics.ts`.
 *
 * Failure policy:
 * - `start()` never waits for the broker: MQTT.js reconnects every 2 s by itself.
 * - Readings go through our outbox (`mqtt-outbox.ts`, kept in `<state.dir>/mqtt-outbox.json`,
 *   bounded by `mqtt.outbox`), not MQTT.js's offline queue (`queueQoSZero: false`): published
 *   only while connected, in order, with their original `time`, removed once acknowledged, kept
 *   across broker outages and collector restarts. At QoS 0 the outbox still bridges outages,
 *   but what a dying socket carried is lost (nothing acknowledges QoS 0).
 * - The retained `info` and `availability` messages are (re)published on every connect, so a
 *   broker restarted without persistence gets them back.
 * - The log gets one line per state change (connected, disconnected, a new kind of error), not
 *   one per reconnect attempt. The password is never logged (the URL is logged redacted).
 */
import { connect as mqttConnect } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttConfig } from '../config.js';
import { redactUrl as redactUserinfo } from '../config-checks.js';
import { explainConnectErrors, mqttClientOptions } from './mqtt-options.js';
import type { DeviceInfo, Reading } from '../plug/reading.js';
import type { MqttMessage } from './mqtt-topics.js';
import {
  assertTopicPrefix,
  availabilityMessage,
  bridgeStateMessage,
  infoMessage,
  readingMessages,
} from './mqtt-topics.js';
import type { MqttOutbox } from './mqtt-outbox.js';
import { createMqttOutbox } from './mqtt-outbox-store.js';
import type { MqttOutboxOptions } from './mqtt-outbox-store.js';
import type { Sink } from './sink.js';

/** MQTT.js's `connect(url, options)`, injectable so tests can reach the client. */
export type MqttConnect = (url: string, options: IClientOptions) => MqttClient;

/** Tuning of {@link MqttSink}; the defaults suit a Raspberry Pi. */
export interface MqttSinkOptions extends MqttOutboxOptions {
  /** Bound on `stop()`'s flush, ms. Default 2000. */
  stopTimeoutMs?: number;
}

/** Returns `url` with any password replaced by `***`, for logs (config-checks.ts does the work). */
export function redactUrl(url: string): string {
  return URL.canParse(url) ? redactUserinfo(url, '***') : '(unparsable URL)';
}

/** What makes two errors "the same" for logging: the socket code, else the message. */
function errorKey(err: Error & { code?: string | number }): string {
  return String(err.code ?? err.message);
}

/** The MQTT {@link Sink}. Constructor assigns; `start()` connects; `stop()` disconnects. */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  readonly #log: Logger;
  readonly #outbox: MqttOutbox;
  readonly #stopTimeoutMs: number;
  #client: MqttClient | undefined;
  #connected = false;
  #lastError: string | undefined;
  #closeCause: Error | undefined;
  #stopping: Promise<void> | undefined;
  readonly #info = new Map<string, MqttMessage>();
  readonly #availability = new Map<string, MqttMessage>();
  readonly #badDevices = new Set<string>();

  /**
   * @param config the `mqtt` config slice (url, credentials, topicPrefix, qos, clientId)
   * @param log parent logger; the sink logs through `log.child({ sink: 'mqtt' })`
   * @param connect MQTT.js `connect`, replaceable in tests
   * @param options state dir (the outbox is memory-only without it), window, stop bound
   */
  constructor(
    private readonly config: MqttConfig,
    log: Logger,
    private readonly connect: MqttConnect = mqttConnect,
    options: MqttSinkOptions = {},
  ) {
    this.#log = log.child({ sink: 'mqtt' });
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 2_000;
    this.#outbox = createMqttOutbox(config, options, this.#log);
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
    return this.#connected;
  }

  /**
   * Creates the client and returns at once; the connection comes up in the background.
   * @throws Error when the topic prefix is invalid, or MQTT.js rejects the URL
   */
  async start(): Promise<void> {
    if (this.#client !== undefined || this.#stopping !== undefined) return;
    const { url, username, password, clientId, qos, topicPrefix } = this.config;
    assertTopicPrefix(topicPrefix);
    this.#outbox.load();
    const will = bridgeStateMessage(topicPrefix, false);
    const options: IClientOptions = {
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
      queueQoSZero: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), retain: true, qos },
    };
    if (clientId !== '') options.clientId = clientId;
    if (username !== '') options.username = username;
    if (password !== '') options.password = password;
    const security = mqttClientOptions(this.config, this.#log); // credentials and TLS
    const client = explainConnectErrors(
      this.connect(url, { ...options, ...security }),
      this.config,
    );
    this.#client = client;
    client.on('connect', () => this.#onConnect(client));
    client.on('close', () => {
      this.#outbox.pause();
      if (!this.#connected) return;
      this.#connected = false;
      const cause = this.#closeCause;
      this.#closeCause = undefined;
      this.#lastError = cause === undefined ? undefined : errorKey(cause);
      if (this.#stopping !== undefined) return;
      const why = cause === undefined ? '' : ` (${cause.message})`;
      this.#log.warn({ err: cause }, `disconnected from MQTT broker${why}; retrying every 2 s`);
    });
    client.on('error', (err: Error) => {
      if (this.#stopping !== undefined) return;
      // An error on a live connection (reset, keepalive timeout) is told with the disconnect.
      if (this.#connected) {
        this.#closeCause = err;
        this.#log.debug({ err }, 'MQTT connection error');
        return;
      }
      const key = errorKey(err);
      if (key === this.#lastError) return;
      this.#lastError = key;
      this.#log.warn({ err, url: redactUrl(url) }, `MQTT error: ${err.message}`);
    });
    this.#log.info(
      { url: redactUrl(url), clientId: clientId || undefined },
      'connecting to MQTT broker',
    );
  }

  #onConnect(client: MqttClient): void {
    this.#connected = true;
    this.#lastError = undefined;
    this.#log.info({ url: redactUrl(this.config.url) }, 'connected to MQTT broker');
    this.#publish(client, bridgeStateMessage(this.config.topicPrefix, true));
    for (const m of this.#info.values()) this.#publish(client, m);
    for (const m of this.#availability.values()) this.#publish(client, m);
    // Then the readings: MQTT.js has already re-sent those in flight at the last disconnect.
    this.#outbox.resume((m, done) => this.#publish(client, m, done));
  }

  /** One publish at `mqtt.qos`; `done` gets MQTT.js's completion (the ack at QoS ≥ 1). */
  #publish(client: MqttClient, m: MqttMessage, done?: (err?: Error | null) => void): void {
    const opts = { qos: this.config.qos, retain: m.retain };
    client.publish(m.topic, m.payload, opts, (err) => done?.(err));
  }

  /** Runs `build`; on error logs once per device (its name cannot be a topic level) and returns undefined. */
  #messagesOf<T>(device: DeviceInfo, build: () => T): T | undefined {
    try {
      return build();
    } catch (err) {
      const key = `${device.host}:${device.port}`;
      if (!this.#badDevices.has(key)) {
        this.#badDevices.add(key);
        this.#log.error({ err }, `not publishing device ${key}: ${(err as Error).message}`);
      }
      return undefined;
    }
  }

  /**
   * Queues the state JSON and per-field values as one outbox entry (published at once when
   * connected), and publishes `info` when it changed. Never throws.
   */
  write(reading: Reading): void {
    const client = this.#client;
    if (client === undefined || this.#stopping !== undefined) return;
    const prefix = this.config.topicPrefix;
    const built = this.#messagesOf(reading.device, () => ({
      messages: readingMessages(reading, prefix),
      info: infoMessage(reading, prefix),
    }));
    if (built === undefined) return;
    this.#outbox.push(built.messages);
    const name = reading.device.name;
    if (this.#info.get(name)?.payload !== built.info.payload) {
      this.#info.set(name, built.info);
      if (this.#connected) this.#publish(client, built.info);
    }
  }

  /** Publishes the retained availability now, or on the next connect when offline. Never throws. */
  availability(device: DeviceInfo, online: boolean): void {
    const client = this.#client;
    if (client === undefined || this.#stopping !== undefined) return;
    const m = this.#messagesOf(device, () =>
      availabilityMessage(device, this.config.topicPrefix, online),
    );
    if (m === undefined) return;
    this.#availability.set(device.name, m);
    if (this.#connected) this.#publish(client, m);
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
    const client = this.#client;
    if (client === undefined) return;
    const t0 = Date.now();
    const delivered = await this.#outbox.drain(this.#stopTimeoutMs);
    const left = this.#stopTimeoutMs - (Date.now() - t0);
    if (!delivered || !(await this.#sayOffline(client, left))) {
      this.#log.warn({ unsent: this.#outbox.length }, 'MQTT flush timed out; closing anyway');
      if (client.disconnecting) client.stream?.destroy();
      else client.end(true);
    }
    this.#connected = false;
    const { sent, length: unsent } = this.#outbox;
    this.#log.info({ sent, unsent }, 'MQTT sink stopped');
  }

  /** Publishes `offline` and disconnects cleanly (just closes without a connection); false after `ms`. */
  #sayOffline(client: MqttClient, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, ms));
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      if (!this.#connected) return void client.end(true, done);
      const off = bridgeStateMessage(this.config.topicPrefix, false);
      const opts = { qos: this.config.qos, retain: true };
      client.publish(off.topic, off.payload, opts, () => client.end(false, done));
    });
  }
}
