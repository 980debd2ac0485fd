/**
 * Per-device availability left behind by an earlier run, swept before `bridge/state` says
 * `online`.
 *
 * Why: `<p>/<name>/availability` is retained, and only `<p>/bridge/state` is the last will. After
 * a stop or a crash the broker keeps each device's `online`; when the next run connects and
 * publishes `bridge/state` `online`, a consumer that needs both (Home Assistant with
 * `availability_mode: all`) would show the readings from before the stop as current until the
 * device is read again, or for `poll.offlineAfter` ticks when it no longer answers. So on every
 * connect, before `online`:
 *
 * 1. subscribe to `<p>/+/availability` and `<p>/+/+/availability` (the broker replays the
 *    retained ones) and to `<p>/bridge/sync`;
 * 2. publish a nonce to `<p>/bridge/sync` (QoS 1, not retained). A broker handles one client's
 *    packets in order, so the nonce comes back after every retained message of the subscription
 *    (mosquitto and aedes both send the retained messages after the SUBACK, so the SUBACK alone
 *    does not tell that they are all in);
 * 3. publish `offline` (retained) on each topic that said `online` but whose device this run
 *    has not read; then the caller publishes `bridge/state` `online`.
 *
 * The subscriptions stay for the life of the connection (MQTT.js renews them on reconnect):
 * unsubscribing while MQTT.js re-subscribes on a reconnect left later publishes queued in
 * MQTT.js. The price is the sink's own availability messages coming back, one per transition,
 * which {@link AvailabilitySweep.onMessage} takes and drops.
 *
 * A broker that refuses the subscription (an ACL) or never echoes the nonce delays `online` by
 * at most `timeoutMs`, logged once. The default layout only: with `mqtt.format: "tasmota"` the
 * `tele/<name>/LWT` topics are shared with real Tasmota devices, which must never be marked
 * offline by us.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { BRIDGE_LEVEL } from './topics.js';

/** Default bound on a sweep, ms. */
export const SWEEP_TIMEOUT_MS = 2_000;

/** At most this many stale topics are corrected per connect (the rest at the next one). */
export const SWEEP_MAX_TOPICS = 4_096;

/** What a sweep needs from the sink. */
export interface SweepHooks {
  /** True when this run has published `online` for the topic (its device was read). */
  onlineNow(topic: string): boolean;
  /** Publishes a retained "latest wins" message (the sink's publisher, at most QoS 1). */
  publish(topic: string, payload: string): void;
  /**
   * Publishes the sync nonce (QoS 1, not retained), ahead of the waiting "latest wins" messages
   * and within the broker's Receive Maximum; default straight on the client.
   */
  sync?(topic: string, payload: string): void;
  /** The sweep is over (done, refused or timed out): publish `bridge/state` `online`. */
  done(): void;
}

interface Running {
  client: MqttClient;
  hooks: SweepHooks;
  nonce: string;
  stale: Set<string>;
  timer: unknown;
}

/** One sweep per connection; `cancel()` when the connection closes. */
export class AvailabilitySweep {
  readonly #filters: string[];
  readonly #sync: string;
  #running: Running | undefined;
  #warned = false;

  /**
   * @param prefix `mqtt.topicPrefix`
   * @param log the sink's logger
   * @param clock arms the bound on one sweep
   * @param timeoutMs bound on one sweep, ms
   */
  constructor(
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly timeoutMs = SWEEP_TIMEOUT_MS,
  ) {
    this.#filters = [`${prefix}/+/availability`, `${prefix}/+/+/availability`];
    this.#sync = `${prefix}/${BRIDGE_LEVEL}/sync`;
  }

  /** The sync topic, `<p>/bridge/sync`. */
  get syncTopic(): string {
    return this.#sync;
  }

  /** True while a sweep waits for its nonce. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Starts the sweep on a freshly connected client; `hooks.done()` is called exactly once unless
   * {@link cancel} comes first.
   */
  start(client: MqttClient, hooks: SweepHooks): void {
    this.cancel();
    const nonce = randomBytes(8).toString('hex');
    const timer = this.clock.setTimeout(() => {
      if (!this.#warned) {
        this.#warned = true;
        this.log.warn(
          { topic: this.#sync, timeoutMs: this.timeoutMs },
          'the broker did not echo the availability sync; availability an earlier run left ' +
            'online may show until each device is read (allow subscribing and publishing to it)',
        );
      }
      this.#finish(run);
    }, this.timeoutMs);
    const run: Running = { client, hooks, nonce, stale: new Set(), timer };
    this.#running = run;
    client.subscribe([...this.#filters, this.#sync], { qos: 1 }, (err, granted) => {
      if (this.#running !== run) return;
      if (err || (granted ?? []).some((g) => g.qos === 128)) {
        this.log.warn(
          { err, filters: [...this.#filters, this.#sync] },
          'the broker refused the availability subscriptions; availability an earlier run ' +
            'left online may show until each device is read',
        );
        this.#finish(run);
        return;
      }
      if (run.hooks.sync !== undefined) run.hooks.sync(this.#sync, nonce);
      else client.publish(this.#sync, nonce, { qos: 1, retain: false });
    });
  }

  /**
   * Takes the messages of a running sweep.
   * @returns true when the message was the sweep's (the sink passes it to nobody else)
   */
  onMessage(topic: string, payload: string, retained: boolean): boolean {
    const run = this.#running;
    if (topic === this.#sync) {
      if (run !== undefined && payload === run.nonce) this.#finish(run);
      return true;
    }
    if (!this.#isAvailabilityTopic(topic)) return false;
    if (run !== undefined && retained && payload === 'online' && run.stale.size < SWEEP_MAX_TOPICS)
      run.stale.add(topic);
    return true;
  }

  /** Drops a running sweep without calling `done` (the connection went away). */
  cancel(): void {
    const run = this.#running;
    if (run === undefined) return;
    this.clock.clearTimeout(run.timer);
    this.#running = undefined;
  }

  #isAvailabilityTopic(topic: string): boolean {
    const head = `${this.prefix}/`;
    if (!topic.startsWith(head) || !topic.endsWith('/availability')) return false;
    const levels = topic.slice(head.length, -'/availability'.length).split('/');
    return levels.length <= 2 && levels.every((l) => l !== '');
  }

  #finish(run: Running): void {
    if (this.#running !== run) return;
    this.cancel();
    let marked = 0;
    for (const topic of run.stale) {
      if (run.hooks.onlineNow(topic)) continue;
      run.hooks.publish(topic, 'offline');
      marked++;
    }
    if (marked > 0) {
      this.log.info(
        { devices: marked },
        `marked ${marked} devices offline that an earlier run left online`,
      );
    }
    run.hooks.done();
  }
}
