/**
 * How the MQTT sink hands messages to MQTT.js: at which QoS, and in how many socket writes.
 *
 * - Readings go at `mqtt.qos`. The retained "latest wins" messages (`bridge/state`, `info`,
 *   `availability`, HA discovery), re-sent on every connect, go at `mqtt.qos` but never above 1:
 *   a QoS 2 message stays in flight until its PUBCOMP, and mosquitto takes at most
 *   `max_inflight_messages` (default 20) of them from a client (past that, messages are lost and
 *   the client is disconnected). The readings' window is sized to stay below that
 *   (`outbox-store.ts`); these messages, published outside it, would not be.
 * - The socket is corked from the first publish of a turn of the event loop to its end
 *   (`setImmediate`), so the publishes of a burst (readings that came in together, the entries a
 *   batch of PUBACKs lets out) leave in one `writev` rather than one write each. On a fleet of
 *   1000 plugs a write per reading cost more CPU than everything else the sink does. Nothing is
 *   held back past the turn, and cork/uncork keep the order of the writes.
 */
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import type { MqttMessage } from './topics.js';

/** Publishes on a client at the sink's QoS, one socket write per turn of the event loop. */
export class MqttPublisher {
  /** Options of readings, retained or not (MQTT.js copies them, never mutates). */
  readonly #retained: IClientPublishOptions;
  readonly #plain: IClientPublishOptions;
  /** QoS of the "latest wins" messages. */
  readonly #latestQos: 0 | 1;
  /** The socket corked until the end of this turn of the event loop. */
  #corked: MqttClient['stream'] | undefined;
  readonly #uncork = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork();
  };

  /** @param qos `mqtt.qos` */
  constructor(qos: 0 | 1 | 2) {
    this.#retained = { qos, retain: true };
    this.#plain = { qos, retain: false };
    this.#latestQos = Math.min(qos, 1) as 0 | 1;
  }

  /**
   * One reading's message at `mqtt.qos`.
   * @param done gets MQTT.js's completion (the ack at QoS ≥ 1)
   */
  reading(client: MqttClient, m: MqttMessage, done?: (err?: Error | null) => void): void {
    this.#batch(client);
    client.publish(m.topic, m.payload, m.retain ? this.#retained : this.#plain, done);
  }

  /** A "latest wins" message, at `mqtt.qos` but never above 1. */
  latest(client: MqttClient, m: MqttMessage): void {
    this.#batch(client);
    client.publish(m.topic, m.payload, { qos: this.#latestQos, retain: m.retain });
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
