/**
 * The MQTT sink's connection to the broker: the MQTT.js client, its events and what the status
 * page shows of it. What goes over the connection is the sink's (`sink.ts`).
 *
 * - `start()` never waits for the broker: MQTT.js reconnects every 2 s by itself. A broker that
 *   refuses MQTT 5 gets MQTT 3.1.1 from then on (`protocol.ts`).
 * - The log gets one line per state change (connected, disconnected, a new kind of error), not
 *   one per reconnect attempt. The password is never logged (the URL is logged redacted).
 * - An error on a live connection (reset, keepalive timeout) is told with the disconnect it
 *   causes; the last error is kept after recovery for the status page.
 */
import type { IClientOptions, IConnackPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { MqttConfig } from '../../config/types.js';
import { explainConnectErrors, redactUrl, sinkClientOptions } from './options.js';
import { mqttErrorCode } from './errors.js';
import { fallBackToMqtt311 } from './protocol.js';
import { sayOfflineAndEnd, type PublishOffline } from './close.js';
import { bridgeStateMessage, type MqttMessage } from './topics.js';

/** MQTT.js's `connect(url, options)`, injectable so tests can reach the client. */
export type MqttConnect = (url: string, options: IClientOptions) => MqttClient;

/** What the connection tells its owner, the sink. Hooks must not throw. */
export interface ConnectionHooks {
  /**
   * The broker accepted the connection: size the windows from its CONNACK (`protocol.ts`).
   * @param connack the CONNACK MQTT.js passed to `connect`
   * @param protocolVersion the version the connection speaks (MQTT.js's numbering: 4 or 5)
   * @returns the readings' window now in force, in messages (for the log line)
   */
  sizeWindows(connack: IConnackPacket | undefined, protocolVersion: number | undefined): number;
  /** The connection is up and logged: (re)publish, subscribe, resume the readings. */
  connected(client: MqttClient): void;
  /** The connection is gone, or an attempt failed: publish nothing until {@link connected}. */
  closed(): void;
  /** A message on one of the sink's subscriptions; `retained` when the broker replayed it. */
  message(topic: string, payload: string, retained: boolean): void;
}

/**
 * What makes two connection errors "the same" for logging: their code and the detail behind it
 * (errno, CONNACK code or message), so each new kind of failure gets one line, e.g. another TLS
 * problem once the first is fixed.
 */
function errorKey(err: Error & { code?: unknown }): string {
  return `${mqttErrorCode(err)} ${String(err.code ?? err.message)}`;
}

/** One MQTT.js client for the sink's life: `start()` creates it, `close()` ends it. */
export class MqttConnection {
  #client: MqttClient | undefined;
  #connected = false;
  #stopping = false;
  #lastError: string | undefined;
  /** The last error, kept after recovery, for the status page. */
  #lastFailure: { message: string; at: number } | undefined;
  #closeCause: Error | undefined;

  /**
   * @param config the `mqtt` config slice (url, credentials, TLS, clientId, topicPrefix for the
   *   last will)
   * @param log the sink's logger
   * @param clock stamps {@link lastFailure}
   * @param hooks the sink's side of the events
   */
  constructor(
    private readonly config: MqttConfig,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly hooks: ConnectionHooks,
  ) {}

  /** The client, once {@link start} created it. */
  get client(): MqttClient | undefined {
    return this.#client;
  }

  /** True while the client holds a live broker connection. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The last error on the connection and when it came (ms), kept after recovery. */
  get lastFailure(): { message: string; at: number } | undefined {
    return this.#lastFailure;
  }

  /**
   * Creates the client (last will: `bridge/state` `offline`) and returns it; the connection
   * comes up in the background.
   * @param connect MQTT.js's `connect`
   * @throws Error when MQTT.js rejects the URL, or a file of the config cannot be read
   */
  start(connect: MqttConnect): MqttClient {
    const { url, clientId, topicPrefix } = this.config;
    const options = sinkClientOptions(
      this.config,
      bridgeStateMessage(topicPrefix, false),
      this.log,
    );
    const client = explainConnectErrors(connect(url, options), this.config);
    this.#client = client;
    client.on('connect', (connack) => this.#onConnect(client, connack));
    client.on('message', (topic, payload, packet) =>
      this.hooks.message(topic, payload.toString(), packet.retain),
    );
    client.on('close', () => this.#onClose());
    client.on('error', (err: Error) => this.#onError(client, err));
    this.log.info(
      { url: redactUrl(url), clientId: clientId || undefined },
      'connecting to MQTT broker',
    );
    return client;
  }

  /** The sink is stopping: errors and the disconnect are no longer logged. */
  stopping(): void {
    this.#stopping = true;
  }

  /**
   * Publishes `offline` through `publish`, then disconnects cleanly (`close.ts`); without a
   * connection it just closes.
   * @param ms what is left of the stop bound
   * @returns true when done in time; false after `ms` (or when never started)
   */
  async sayOfflineAndEnd(
    offline: MqttMessage,
    publish: PublishOffline,
    ms: number,
  ): Promise<boolean> {
    const client = this.#client;
    if (client === undefined) return false;
    return sayOfflineAndEnd(client, this.#connected, offline, publish, ms);
  }

  /**
   * The end of `stop()`: unless the client ended cleanly, drops the socket (the broker then
   * publishes the last will). Either way the connection counts as down from now.
   * @param clean what {@link sayOfflineAndEnd} returned
   */
  close(clean: boolean): void {
    const client = this.#client;
    if (!clean && client !== undefined) {
      if (client.disconnecting) client.stream?.destroy();
      else client.end(true);
    }
    this.#connected = false;
  }

  #onConnect(client: MqttClient, connack: IConnackPacket | undefined): void {
    this.#connected = true;
    this.#lastError = undefined;
    const version = client.options.protocolVersion;
    const window = this.hooks.sizeWindows(connack, version);
    const mqtt = version === 5 ? '5' : '3.1.1';
    this.log.info({ url: redactUrl(this.config.url), mqtt, window }, 'connected to MQTT broker');
    this.hooks.connected(client);
  }

  #onClose(): void {
    this.hooks.closed();
    if (!this.#connected) return;
    this.#connected = false;
    const cause = this.#closeCause;
    this.#closeCause = undefined;
    this.#lastError = cause === undefined ? undefined : errorKey(cause);
    if (this.#stopping) return;
    const why = cause === undefined ? '' : ` (${cause.message})`;
    const code = cause === undefined ? undefined : mqttErrorCode(cause);
    this.log.warn({ code, err: cause }, `disconnected from MQTT broker${why}; retrying every 2 s`);
  }

  #onError(client: MqttClient, err: Error): void {
    if (this.#stopping) return;
    if (fallBackToMqtt311(client, err, this.log)) return;
    this.#lastFailure = { message: err.message, at: this.clock.now() };
    // An error on a live connection (reset, keepalive timeout) is told with the disconnect.
    if (this.#connected) {
      this.#closeCause = err;
      this.log.debug({ err }, 'MQTT connection error');
      return;
    }
    const key = errorKey(err);
    if (key === this.#lastError) return;
    this.#lastError = key;
    const code = mqttErrorCode(err);
    this.log.warn({ code, err, url: redactUrl(this.config.url) }, `MQTT error: ${err.message}`);
  }
}
