/**
 * How the MQTT sink hands messages to MQTT.js: at which QoS, within which window, and in how
 * many socket writes.
 *
 * - Readings go at `mqtt.qos` through the outbox (`outbox.ts`). The retained "latest wins"
 *   messages (`bridge/state`, `info`, `availability`, HA discovery), re-sent on every connect,
 *   go at `mqtt.qos` but never above 1: a QoS 2 message stays in flight until its PUBCOMP, and
 *   mosquitto takes at most `max_inflight_messages` (default 20) of them from a client.
 * - Every QoS 1 and 2 publish, readings and "latest wins" alike, takes a slot of one
 *   {@link SendWindow} sized to the broker's Receive Maximum (`protocol.ts`), so however many
 *   devices are announced on a connect, no more are unacknowledged than the broker allows
 *   (MQTT 5.0 §4.9). The "latest wins" ones wait in a {@link LatestQueue}, one per topic.
 * - The socket is corked from the first publish of a turn of the event loop to its end
 *   (`setImmediate`), so the publishes of a burst (readings that came in together, the entries a
 *   batch of PUBACKs lets out) leave in one `writev` rather than one write each. On a fleet of
 *   1000 plugs a write per reading cost more CPU than everything else the sink does. Nothing is
 *   held back past the turn, and cork/uncork keep the order of the writes.
 */
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { LatestQueue } from './latest-queue.js';
import type { SendWindow } from './send-window.js';
import type { MqttMessage } from './topics.js';

/** Publishes on a client at the sink's QoS, one socket write per turn of the event loop. */
export class MqttPublisher {
  /** Options of readings, retained or not (MQTT.js copies them, never mutates). */
  readonly #retained: IClientPublishOptions;
  readonly #plain: IClientPublishOptions;
  /** QoS of the "latest wins" messages. */
  readonly #latestQos: 0 | 1;
  readonly #queue: LatestQueue;
  /** The socket corked until the end of this turn of the event loop. */
  #corked: MqttClient['stream'] | undefined;
  readonly #uncork = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork();
  };

  /**
   * @param qos `mqtt.qos`
   * @param window the window of QoS > 0 publishes, shared with the outbox
   * @param log the sink's logger
   */
  constructor(
    qos: 0 | 1 | 2,
    readonly window: SendWindow,
    log: Logger,
  ) {
    this.#retained = { qos, retain: true };
    this.#plain = { qos, retain: false };
    this.#latestQos = Math.min(qos, 1) as 0 | 1;
    this.#queue = new LatestQueue(window, log);
  }

  /** "Latest wins" messages waiting for room in the window. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** The client connected: "latest wins" messages go out on it as the window lets. */
  connected(client: MqttClient): void {
    this.#queue.resume((m, opts, done) => {
      this.#batch(client);
      client.publish(m.topic, m.payload, opts, done);
    });
  }

  /** The connection is gone: waiting "latest wins" messages are dropped (re-sent on connect). */
  disconnected(): void {
    this.#queue.pause();
  }

  /** Drops the waiting "latest wins" messages: the last `offline` goes next, nothing after it. */
  dropWaiting(): void {
    this.#queue.dropWaiting();
  }

  /**
   * One reading's message at `mqtt.qos` (the outbox took its window slot).
   * @param done gets MQTT.js's completion (the ack at QoS ≥ 1)
   */
  reading(client: MqttClient, m: MqttMessage, done?: (err?: Error | null) => void): void {
    this.#batch(client);
    client.publish(m.topic, m.payload, m.retain ? this.#retained : this.#plain, done);
  }

  /**
   * A "latest wins" message, at `mqtt.qos` but never above 1: at QoS 0 now, else queued for
   * the window (replacing a waiting one on its topic). Dropped while disconnected.
   */
  latest(client: MqttClient, m: MqttMessage): void {
    if (this.#latestQos === 1) return this.#queue.push(m);
    this.#batch(client);
    client.publish(m.topic, m.payload, { qos: 0, retain: m.retain });
  }

  /**
   * A message that goes before the waiting "latest wins" ones, within the window (the
   * availability sweep's sync nonce, the last `offline`); at QoS 0 it goes at once.
   * @param qos its own QoS
   * @param done MQTT.js's completion; an error at once while disconnected
   */
  urgent(
    client: MqttClient,
    m: MqttMessage,
    qos: 0 | 1 | 2,
    done?: (err?: Error | null) => void,
  ): void {
    if (qos > 0) return this.#queue.pushFirst(m, qos as 1 | 2, done);
    this.#batch(client);
    client.publish(m.topic, m.payload, { qos: 0, retain: m.retain }, done);
  }

  /** Corks the client's socket until the end of this turn of the event loop, once per turn. */
  #batch(client: MqttClient): void {
    const stream = client.stream as MqttClient['stream'] | undefined;
    if (stream === undefined || stream === this.#corked) return;
    this.#uncork(); // a new socket (reconnected) within the turn: release the old one now
    stream.cork();
    this.#corked = stream;
    setImmediate(this.#uncork);
  }
}
