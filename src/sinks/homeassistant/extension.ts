/**
 * Home Assistant discovery on the MQTT sink's connection (messages from `discovery.ts`).
 *
 * - A device is announced after its first reading (its identity comes from the plug), and
 *   again whenever its message changes (a new field such as `energy_total`, a new firmware).
 *   Fields only accumulate, so a spike-filtered value never makes an entity vanish.
 * - Everything is re-sent on every connect and when `<ha>/status` says `online` (HA restarted;
 *   the broker may not have kept the retained configs). Anyone who can publish can send
 *   `online` in a loop, so a re-announcement follows at most once per
 *   {@link REANNOUNCE_GAP_MS}: an `online` within that gap is served with the first reading
 *   after it, not lost.
 * - A device dropped from the config gets an empty retained config: HA removes it.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../clock.js';
import {
  deviceKey,
  MEASUREMENT_FIELDS,
  type DeviceInfo,
  type MeasurementField,
  type Reading,
} from '../../reading.js';
import type { DiscoveryContext } from './discovery.js';
import { discoveryMessage, hasComponents, removalMessage } from './discovery.js';
import type { MqttExtension, Publish } from '../mqtt/extension.js';
import type { MqttMessage } from '../mqtt/topics.js';
import { sameDeviceSource, type DeviceSource } from '../mqtt/same-device.js';

interface Announced {
  fields: Set<MeasurementField>;
  message: MqttMessage;
  /** What `message` was built from. */
  source: DeviceSource;
}

/** Least time between two re-announcements on `<ha>/status` `online`, ms. */
export const REANNOUNCE_GAP_MS = 10_000;

/** The HA discovery {@link MqttExtension}. */
export class HaDiscovery implements MqttExtension {
  readonly subscriptions: readonly string[];
  readonly #byName = new Map<string, Announced>();
  /** Removals not yet known to be delivered, by topic; re-sent on connect. */
  readonly #removals = new Map<string, MqttMessage>();
  readonly #statusTopic: string;
  /** Monotonic ms of the last re-announcement; whether an `online` since is still owed one. */
  #announcedAt = -Infinity;
  #owed = false;

  /**
   * @param ctx discovery and topic prefixes, our version
   * @param publish the sink's publish-if-connected
   * @param log the sink's logger
   * @param clock spaces the re-announcements; default the system clock
   */
  constructor(
    private readonly ctx: DiscoveryContext,
    private readonly publish: Publish,
    private readonly log: Logger,
    private readonly clock: Pick<Clock, 'monotonic'> = systemClock,
  ) {
    this.#statusTopic = `${ctx.haPrefix}/status`;
    this.subscriptions = [this.#statusTopic];
  }

  /** Discovery messages currently announced (tests, logs). */
  get messages(): MqttMessage[] {
    return [...this.#byName.values()].map((a) => a.message);
  }

  /** Re-sends pending removals, then every current config. */
  onConnect(): void {
    for (const m of this.#removals.values()) this.publish(m);
    for (const a of this.#byName.values()) this.publish(a.message);
  }

  /**
   * Announces the device on its first reading and whenever its message changes. The message is
   * rebuilt only when the reading brings a field not seen before or a different identity or
   * device (a rename, new firmware): on every other poll this is a few comparisons.
   */
  onReading(reading: Reading): void {
    if (this.#owed) this.#reannounce();
    const name = deviceKey(reading.device);
    const old = this.#byName.get(name);
    if (old && !hasNewField(reading, old.fields) && sameDeviceSource(old.source, reading)) return;
    const fields = new Set(old?.fields);
    for (const [field, v] of Object.entries(reading.values)) {
      if (v !== undefined) fields.add(field as MeasurementField);
    }
    if (!hasComponents(reading, fields)) return;
    const message = discoveryMessage(reading, fields, this.ctx);
    const source: DeviceSource = reading;
    if (old?.message.payload === message.payload) {
      this.#byName.set(name, { fields, message, source });
      return;
    }
    if (old !== undefined && old.message.topic !== message.topic) this.#remove(old.message.topic);
    this.#removals.delete(message.topic);
    this.#byName.set(name, { fields, message, source });
    if (old === undefined)
      this.log.info({ device: name, topic: message.topic }, 'announced to Home Assistant');
    this.publish(message);
  }

  /** `<ha>/status` `online`: HA (re)started and wants every config again. */
  onMessage(topic: string, payload: string): void {
    if (topic !== this.#statusTopic || payload.trim().toLowerCase() !== 'online') return;
    this.#owed = true;
    this.#reannounce();
  }

  /** Re-sends everything when owed and the last re-announcement is far enough back. */
  #reannounce(): void {
    const now = this.clock.monotonic();
    if (now - this.#announcedAt < REANNOUNCE_GAP_MS) return;
    this.#announcedAt = now;
    this.#owed = false;
    this.log.info({ devices: this.#byName.size }, 'Home Assistant is online; re-announcing');
    this.onConnect();
  }

  /** Publishes the empty retained config of a device dropped from the config. */
  removed(device: DeviceInfo): void {
    const name = deviceKey(device);
    const old = this.#byName.get(name);
    if (old === undefined) return;
    this.#byName.delete(name);
    this.log.info({ device: name, topic: old.message.topic }, 'removed from Home Assistant');
    this.#remove(old.message.topic);
  }

  #remove(topic: string): void {
    const m = removalMessage(topic);
    this.#removals.set(topic, m);
    this.publish(m);
  }
}

/** True when `reading` has a value for a field not in `seen` (a reading has no other fields). */
function hasNewField(reading: Reading, seen: ReadonlySet<MeasurementField>): boolean {
  const values = reading.values;
  for (let i = 0; i < MEASUREMENT_FIELDS.length; i++) {
    const field = MEASUREMENT_FIELDS[i] as MeasurementField;
    if (values[field] !== undefined && !seen.has(field)) return true;
  }
  return false;
}
