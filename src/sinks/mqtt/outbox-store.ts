/**
 * Where the MQTT sink's outbox lives and what a restored entry must look like: the file
 * `<state.dir>/mqtt-outbox.json`, the bounds from the `mqtt.outbox` config keys, and a check of
 * every restored entry (a hand-edited or foreign file must not publish garbage).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { MqttConfig } from '../../config/types.js';
import { Outbox } from '../../storage/outbox.js';
import type { StateFs } from '../../storage/json-file.js';
import { TASMOTA_ROOT } from '../tasmota/topics.js';
import { DEFAULT_WINDOW, MqttOutbox } from './outbox.js';
import type { MqttMessage } from './topics.js';
import type { SendWindow } from './send-window.js';

/** The outbox's file name in `state.dir`. */
export const MQTT_OUTBOX_FILE = 'mqtt-outbox.json';

/** Where and how {@link createMqttOutbox} keeps the outbox. */
export interface MqttOutboxOptions {
  /** `state.dir`; absent: memory only (nothing survives a restart). */
  stateDir?: string;
  /**
   * Messages published but not yet acknowledged, at most, until the broker announces its
   * Receive Maximum. Default {@link DEFAULT_WINDOW}, or {@link QOS2_WINDOW} at `mqtt.qos` 2.
   */
  window?: number;
  /** How long a reading may wait unacknowledged before it is written, ms. Default 1000. */
  persistMs?: number;
  /** File system calls of the outbox file (tests make writes fail); default `node:fs`. */
  fs?: StateFs;
}

/**
 * The first topic level every reading of a layout is published under: `mqtt.topicPrefix` for
 * the default layout, `tele` for Tasmota's (`../tasmota/topics.ts`), which ignores the prefix.
 * @param config the `mqtt` slice's prefix and format
 */
export function topicRoot(config: Pick<MqttConfig, 'topicPrefix' | 'format'>): string {
  return config.format === 'tasmota' ? TASMOTA_ROOT : config.topicPrefix;
}

/**
 * Checks one restored outbox entry: a non-empty array of `{topic, payload, retain}` whose
 * topics are under the current root (entries of an old prefix would land where nobody reads).
 * @param prefix the topic root of the configured layout ({@link topicRoot})
 * @returns a validator for {@link Outbox}'s `validateItem`; it throws saying what is wrong
 */
export function entryValidator(prefix: string): (raw: unknown) => MqttMessage[] {
  return (raw) => {
    if (!Array.isArray(raw) || raw.length === 0) throw new Error('not a non-empty array');
    return raw.map((m: unknown) => {
      const { topic, payload, retain } = (m ?? {}) as Partial<MqttMessage>;
      if (typeof topic !== 'string' || !topic.startsWith(`${prefix}/`)) {
        throw new Error(`topic ${JSON.stringify(topic)} is not under "${prefix}/"`);
      }
      if (typeof payload !== 'string' || typeof retain !== 'boolean') {
        throw new Error(`message to ${topic} lacks a string payload or a boolean retain`);
      }
      return { topic, payload, retain };
    });
  };
}

/** JSON's framing of one message in the file: `{"topic":"","payload":"","retain":false},`. */
const MESSAGE_OVERHEAD = 41;

/**
 * What one entry counts for against `mqtt.outbox.maxBytes`: about its size in the outbox file,
 * from string lengths alone. Exact but for JSON escapes (the state payload's quotes: ~5 % of an
 * entry) and the extra bytes of non-ASCII characters. Counting with `JSON.stringify` cost as
 * much CPU as building the messages.
 * @param entry one reading's messages
 * @returns bytes
 */
export function entryBytes(entry: readonly MqttMessage[]): number {
  let n = 2;
  for (const m of entry) n += MESSAGE_OVERHEAD + m.topic.length + m.payload.length;
  return n;
}

/**
 * The window at QoS 2 when the broker announces no Receive Maximum (MQTT 3.1.1): 16 messages
 * (two readings of eight). A QoS 2 publish stays in flight until its PUBCOMP, and mosquitto
 * closes the connection of a client with more than `max_inflight_messages` of them (default 20;
 * the Receive Maximum it announces to MQTT 5 clients). QoS 1 has no such limit in mosquitto:
 * it acknowledges at once.
 */
export const QOS2_WINDOW = 16;

/**
 * The outbox of the `mqtt` config slice: `<stateDir>/mqtt-outbox.json`, bounded by
 * `outbox.maxReadings` and `outbox.maxBytes`, entries checked against the topic root on load.
 * Does no I/O until `load()`.
 * @param config the `mqtt` slice
 * @param opts state dir, window, write delay
 * @param log the sink's logger
 * @param clock debounces the writes; default the system clock
 * @param shared at `mqtt.qos` 1 and 2, the window the readings share with the "latest wins"
 *   messages (`send-window.ts`); ignored at QoS 0
 */
export function createMqttOutbox(
  config: MqttConfig,
  opts: MqttOutboxOptions,
  log: Logger,
  clock?: Clock,
  shared?: SendWindow,
): MqttOutbox {
  const queue = new Outbox<MqttMessage[]>({
    dir: opts.stateDir,
    name: MQTT_OUTBOX_FILE,
    maxEntries: config.outbox.maxReadings,
    maxBytes: config.outbox.maxBytes,
    validateItem: entryValidator(topicRoot(config)),
    sizeOf: entryBytes,
    log,
    ...(clock !== undefined && { clock }),
    ...(opts.persistMs !== undefined && { persistMs: opts.persistMs }),
    fs: opts.fs,
    label: 'MQTT outbox',
    unit: 'readings',
  });
  const window = opts.window ?? (config.qos === 2 ? QOS2_WINDOW : DEFAULT_WINDOW);
  return new MqttOutbox(queue, window, log, config.qos === 0 ? undefined : shared);
}
