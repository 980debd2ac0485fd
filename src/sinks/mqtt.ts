/**
 * Publishes readings to an MQTT broker with MQTT.js, in the layout of `mqtt-topics.ts`.
 *
 * Failure policy:
 * - `start()` never waits for the broker: MQTT.js reconnects every 2 s by itself and keeps
 *   publishes made while offline (QoS ≥ 1 in its outgoing store, QoS 0 in its offline queue),
 *   sending them in order after the next connect (tested in `test/sinks/mqtt-offline.test.ts`).
 *   That backlog is bounded here by `maxPending`: beyond it whole readings are dropped, counted
 *   and warned about once per episode, so a week-long broker outage cannot eat the memory.
 * - The retained `info` and `availability` messages are (re)published on every connect, so a
 *   broker restarted without persistence gets them back.
 * - The log gets one line per state change (connected, disconnected, a new kind of error), not
 *   one per reconnect attempt. The password is never logged (the URL is logged redacted).
 */
import { connect as mqttConnect } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttConfig } from '../config.js';
import type { DeviceInfo, Reading } from '../plug/reading.js';
import type { MqttMessage } from './mqtt-topics.js';
import {
  assertTopicPrefix,
  availabilityMessage,
  bridgeStateMessage,
  infoMessage,
  readingMessages,
} from './mqtt-topics.js';
import type { Sink } from './sink.js';

/** MQTT.js's `connect(url, options)`, injectable so tests can reach the client. */
export type MqttConnect = (url: string, options: IClientOptions) => MqttClient;

/** Tuning of {@link MqttSink}; the defaults suit a Raspberry Pi. */
export interface MqttSinkOptions {
  /** Publishes awaiting delivery (offline backlog + in flight) before readings are dropped. Default 10000. */
  maxPending?: number;
  /** Bound on `stop()`'s flush, ms. Default 2000. */
  stopTimeoutMs?: number;
}

/** Returns `url` with any password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** What makes two errors "the same" for logging: the socket code, else the message. */
function errorKey(err: Error & { code?: string | number }): string {
  return String(err.code ?? err.message);
}

/** The MQTT {@link Sink}. Constructor assigns; `start()` connects; `stop()` disconnects. */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  readonly #log: Logger;
  readonly #maxPending: number;
  readonly #stopTimeoutMs: number;
  #client: MqttClient | undefined;
  #connected = false;
  #lastError: string | undefined;
  #closeCause: Error | undefined;
  #stopping: Promise<void> | undefined;
  #pending = 0;
  #overflow = false;
  #dropped = 0;
  readonly #info = new Map<string, MqttMessage>();
  readonly #availability = new Map<string, MqttMessage>();
  readonly #badDevices = new Set<string>();

  /**
   * @param config the `mqtt` config slice (url, credentials, topicPrefix, qos, clientId)
   * @param log parent logger; the sink logs through `log.child({ sink: 'mqtt' })`
   * @param connect MQTT.js `connect`, replaceable in tests
   * @param options backlog bound and stop bound
   */
  constructor(
    private readonly config: MqttConfig,
    log: Logger,
    private readonly connect: MqttConnect = mqttConnect,
    options: MqttSinkOptions = {},
  ) {
    this.#log = log.child({ sink: 'mqtt' });
    this.#maxPending = options.maxPending ?? 10_000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 2_000;
  }

  /** Readings dropped because the backlog was full. */
  get dropped(): number {
    return this.#dropped;
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
    const will = bridgeStateMessage(topicPrefix, false);
    const options: IClientOptions = {
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
      will: { topic: will.topic, payload: Buffer.from(will.payload), retain: true, qos },
    };
    if (clientId !== '') options.clientId = clientId;
    if (username !== '') options.username = username;
    if (password !== '') options.password = password;
    const client = this.connect(url, options);
    this.#client = client;
    client.on('connect', () => this.#onConnect(client));
    client.on('close', () => {
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
  }

  #publish(client: MqttClient, m: MqttMessage): void {
    this.#pending++;
    client.publish(m.topic, m.payload, { qos: this.config.qos, retain: m.retain }, () => {
      this.#pending--;
      if (this.#overflow && this.#pending === 0) {
        this.#overflow = false;
        this.#log.info({ dropped: this.#dropped }, 'MQTT backlog delivered');
      }
    });
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

  /** Publishes the state JSON and per-field values, and `info` when it changed. Never throws. */
  write(reading: Reading): void {
    const client = this.#client;
    if (client === undefined || this.#stopping !== undefined) return;
    const prefix = this.config.topicPrefix;
    const built = this.#messagesOf(reading.device, () => ({
      messages: readingMessages(reading, prefix),
      info: infoMessage(reading, prefix),
    }));
    if (built === undefined) return;
    if (this.#pending + built.messages.length > this.#maxPending) {
      this.#dropped++;
      if (!this.#overflow) {
        this.#overflow = true;
        this.#log.warn(
          { pending: this.#pending, maxPending: this.#maxPending },
          'MQTT backlog full: dropping readings until the broker takes them',
        );
      }
      return;
    }
    for (const m of built.messages) this.#publish(client, m);
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
   * Publishes `bridge/state` `offline` (retained), waits for it and the backlog to go out, then
   * disconnects cleanly; after `stopTimeoutMs` it gives up and drops the connection (the broker
   * then publishes the same `offline` as the last will). Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    const off = bridgeStateMessage(this.config.topicPrefix, false);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#log.warn({ pending: this.#pending }, 'MQTT flush timed out; closing anyway');
        if (client.disconnecting) client.stream?.destroy();
        else client.end(true);
        resolve();
      }, this.#stopTimeoutMs);
      client.publish(off.topic, off.payload, { qos: this.config.qos, retain: true }, () => {
        client.end(false, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    });
    this.#connected = false;
    this.#log.info('MQTT sink stopped');
  }
}
