/**
 * The MQTT sink's "latest wins" messages at QoS 1 (`bridge/state`, `info`, `availability`, Home
 * Assistant discovery, the availability sweep's `offline`, the sweep's sync nonce, the last
 * `offline` at stop), held until the {@link SendWindow} has room.
 *
 * - One message per topic waits: a newer one replaces it in its place (the broker would keep
 *   only the last retained one anyway), so what waits is bounded by the topics the sink owns;
 *   past {@link MAX_LATEST_TOPICS} a message for a new topic is dropped, logged once.
 * - They leave in the order their topics were first queued; urgent ones (the sync nonce, the
 *   last `offline`) go before the rest, with their own QoS and completion.
 * - Only while connected: at a disconnect what waits is dropped, as the sink and its extensions
 *   publish everything again on the next connect. What is in flight stays counted: MQTT.js
 *   re-sends it on the next connection and then completes it.
 */
import type { IClientPublishOptions } from 'mqtt';
import type { Logger } from 'pino';
import type { SendWindow } from './send-window.js';
import type { MqttMessage } from './topics.js';

/** Bound on the topics waiting, far above what the sink owns (a few per device). */
export const MAX_LATEST_TOPICS = 65_536;

/** Hands one message to MQTT.js; `done` gets its completion (the PUBACK or an error). */
export type SendFn = (
  m: MqttMessage,
  opts: IClientPublishOptions,
  done: (err?: Error | null) => void,
) => void;

interface Urgent {
  m: MqttMessage;
  opts: IClientPublishOptions;
  done: ((err?: Error | null) => void) | undefined;
}

/** "Latest wins" messages waiting for room in the shared window. */
export class LatestQueue {
  readonly #waiting = new Map<string, MqttMessage>();
  readonly #urgent: Urgent[] = [];
  #send: SendFn | undefined;
  #pumping = false;
  #warned = false;
  /** Options of the queued messages (QoS 1; MQTT.js copies them, never mutates). */
  readonly #retained: IClientPublishOptions = { qos: 1, retain: true };
  readonly #plain: IClientPublishOptions = { qos: 1, retain: false };
  readonly #release: (err?: Error | null) => void;

  /**
   * @param window the window shared with the readings
   * @param log where a dropped message is told, once
   */
  constructor(
    private readonly window: SendWindow,
    private readonly log: Logger,
  ) {
    this.#release = () => window.release();
    window.onRoom('latest', () => this.#pump());
  }

  /** Messages waiting (not yet handed to MQTT.js). */
  get length(): number {
    return this.#waiting.size + this.#urgent.length;
  }

  /** Connected: publish through `send` as the window lets. */
  resume(send: SendFn): void {
    this.#send = send;
    this.#pump();
  }

  /** Disconnected: drop what waits (the next connect publishes it again). */
  pause(): void {
    this.#send = undefined;
    this.#waiting.clear();
    for (const u of this.#urgent.splice(0)) u.done?.(new Error('Connection closed'));
  }

  /** Drops the waiting messages (not the urgent ones), e.g. before the last `offline`. */
  dropWaiting(): void {
    this.#waiting.clear();
  }

  /** Queues a message at QoS 1, replacing a waiting one on the same topic. Dropped when paused. */
  push(m: MqttMessage): void {
    if (this.#send === undefined) return;
    if (!this.#waiting.has(m.topic) && this.#waiting.size >= MAX_LATEST_TOPICS) {
      if (!this.#warned) {
        this.#warned = true;
        this.log.warn(
          { topic: m.topic, max: MAX_LATEST_TOPICS },
          'too many MQTT state topics waiting for the broker; dropping the newest until the next connect',
        );
      }
      return;
    }
    this.#waiting.set(m.topic, m);
    this.#pump();
  }

  /**
   * Queues a message ahead of the others, with its own QoS (1 or 2) and completion; a waiting
   * message on the same topic is dropped. When paused, `done` gets an error at once.
   */
  pushFirst(m: MqttMessage, qos: 1 | 2, done?: (err?: Error | null) => void): void {
    if (this.#send === undefined) return void done?.(new Error('Connection closed'));
    this.#waiting.delete(m.topic);
    this.#urgent.push({ m, opts: { qos, retain: m.retain }, done });
    this.#pump();
  }

  /** Publishes what waits, urgent first, while the window has room. Not re-entrant. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const send = this.#send;
        if (send === undefined || this.length === 0) return;
        if (!this.window.tryTake('latest')) return;
        const urgent = this.#urgent.shift();
        if (urgent !== undefined) {
          const { done } = urgent;
          const release = this.#release;
          // Its completion first: what it sets off (the end of the connection) goes before any
          // other message takes the slot.
          send(urgent.m, urgent.opts, (err) => {
            done?.(err);
            release();
          });
          continue;
        }
        const [topic, m] = this.#waiting.entries().next().value as [string, MqttMessage];
        this.#waiting.delete(topic);
        send(m, m.retain ? this.#retained : this.#plain, this.#release);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
