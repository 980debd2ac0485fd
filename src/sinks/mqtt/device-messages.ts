/**
 * What the MQTT sink publishes per device, and what of it it keeps to publish again on every
 * connect (a broker restarted without persistence gets it back):
 *
 * - a reading's messages, in the layout of `mqtt.format` (`reading-encoder.ts` for the default
 *   one, as `mqtt.output` asks: the JSON state, the per-field values or both; or
 *   `../tasmota/topics.ts`);
 * - its retained `info`, rebuilt only when the identity or the device differ from the last
 *   reading's (every poll brings a new but, nearly always, equal identity object,
 *   `same-device.ts`), kept per device;
 * - its retained `availability`, kept per device.
 *
 * A device whose name cannot be a topic level is logged once (by address) and not published.
 */
import type { Logger } from 'pino';
import type { MqttConfig } from '../../config/types.js';
import { deviceKey, type DeviceInfo, type Reading } from '../../reading.js';
import { TASMOTA_LAYOUT } from '../tasmota/topics.js';
import { ReadingEncoder } from './reading-encoder.js';
import { sameDeviceSource, type DeviceSource } from './same-device.js';
import { DEFAULT_LAYOUT, infoMessage, type MqttMessage, type TopicLayout } from './topics.js';

/** A reading as messages: see {@link DeviceMessages.reading}. */
export interface ReadingMessages {
  /** The reading's own messages, one outbox entry (may be empty). */
  messages: MqttMessage[];
  /** The device's retained `info` when it changed; undefined when it did not. */
  info: MqttMessage | undefined;
}

/** The per-device messages of one MQTT sink, and the retained ones it keeps. */
export class DeviceMessages {
  /** Each device's `info` message and what it was built from. */
  readonly #info = new Map<string, { message: MqttMessage; source: DeviceSource }>();
  readonly #availability = new Map<string, MqttMessage>();
  readonly #badDevices = new Set<string>();
  readonly #layout: TopicLayout;
  /** A reading's messages: `#layout`'s, as `mqtt.output` asks for them in the default layout. */
  readonly #encode: (reading: Reading) => MqttMessage[];

  /**
   * @param config the `mqtt` slice's topicPrefix, format and output
   * @param log where a device that cannot be published is told, once
   */
  constructor(
    private readonly config: Pick<MqttConfig, 'topicPrefix' | 'format' | 'output'>,
    private readonly log: Logger,
  ) {
    this.#layout = config.format === 'tasmota' ? TASMOTA_LAYOUT : DEFAULT_LAYOUT;
    this.#encode = this.#encoder();
  }

  /**
   * The default layout's {@link ReadingEncoder} (built on the first reading when the prefix is
   * invalid, so the constructor does not throw and `start()` says what is wrong), or Tasmota's.
   */
  #encoder(): (reading: Reading) => MqttMessage[] {
    const { topicPrefix, output } = this.config;
    if (this.config.format === 'tasmota') return (r) => TASMOTA_LAYOUT.readings(r, topicPrefix);
    let encoder: ReadingEncoder | undefined;
    return (r) => (encoder ??= new ReadingEncoder(topicPrefix, output)).encode(r);
  }

  /**
   * A reading's messages, and its device's `info` when that changed (kept for {@link retained}).
   * Never throws.
   * @returns undefined when the device's name cannot be a topic level (logged once)
   */
  reading(reading: Reading): ReadingMessages | undefined {
    const name = deviceKey(reading.device);
    const source = this.#info.get(name)?.source;
    let messages: MqttMessage[];
    let info: MqttMessage | undefined;
    try {
      messages = this.#encode(reading);
      if (source === undefined || !sameDeviceSource(source, reading)) {
        info = infoMessage(reading, this.config.topicPrefix);
      }
    } catch (err) {
      this.#badDevice(reading.device, err);
      return undefined;
    }
    if (info === undefined) return { messages, info };
    const changed = this.#info.get(name)?.message.payload !== info.payload;
    this.#info.set(name, { message: info, source: reading });
    return { messages, info: changed ? info : undefined };
  }

  /**
   * The device's retained availability message, kept for {@link retained}. Never throws.
   * @returns undefined when the device's name cannot be a topic level (logged once)
   */
  availability(device: DeviceInfo, online: boolean): MqttMessage | undefined {
    let m: MqttMessage;
    try {
      m = this.#layout.availability(device, this.config.topicPrefix, online);
    } catch (err) {
      this.#badDevice(device, err);
      return undefined;
    }
    this.#availability.set(deviceKey(device), m);
    return m;
  }

  /** What a new connection gets again: every device's `info`, then every `availability`. */
  *retained(): Generator<MqttMessage> {
    for (const { message } of this.#info.values()) yield message;
    yield* this.#availability.values();
  }

  /** True when this run published `online` on the availability topic. */
  saidOnline(topic: string): boolean {
    for (const m of this.#availability.values())
      if (m.topic === topic) return m.payload === 'online';
    return false;
  }

  /** Logs once per device that its name cannot be a topic level (what `err` says). */
  #badDevice(device: DeviceInfo, err: unknown): void {
    const key = `${device.host}:${device.port}/${device.outlet?.position ?? ''}`;
    if (this.#badDevices.has(key)) return;
    this.#badDevices.add(key);
    this.log.error({ err }, `not publishing device ${key}: ${(err as Error).message}`);
  }
}
