/**
 * A reading's messages in the default layout (`topics.ts`), as `mqtt.output` asks for them,
 * built at the cost of a few string concatenations per reading:
 * - each device's topics are built and checked once, on its first reading, and again only when
 *   its name changes;
 * - the JSON state is written directly for its fixed shape, `{"time":s,"power":W,...}`, with
 *   each value's text computed once and shared with the per-field message, instead of building
 *   an object per reading and handing it to `JSON.stringify`. The text is what
 *   `JSON.stringify` would write: finite numbers as `String(n)` (ECMAScript's Number::toString,
 *   which JSON.stringify uses for numbers), a non-finite `time` as `null`, the relay state as a
 *   JSON string. Fields that are absent or not finite are left out, as before.
 *
 * Order and rounding are `topics.ts`'s: {@link MEASUREMENT_FIELDS} order,
 * {@link PUBLISH_DECIMALS} places.
 */
import type { MqttOutput } from '../../config/types.js';
import type { DeviceInfo, Reading } from '../../reading.js';
import { MEASUREMENT_FIELDS } from '../../reading.js';
import type { MqttMessage } from './topics.js';
import { PUBLISH_DECIMALS, assertDeviceName, assertTopicPrefix, topicPath } from './topics.js';
import { decimalText } from './decimals.js';

/** `,"<field>":` per field of {@link MEASUREMENT_FIELDS}, in that order. */
const JSON_KEYS = MEASUREMENT_FIELDS.map((f) => `,"${f}":`);

/** Decimal places per field of {@link MEASUREMENT_FIELDS}; -1 for `state` (not a number). */
const DECIMALS = MEASUREMENT_FIELDS.map((f) => (f === 'state' ? -1 : PUBLISH_DECIMALS[f]));

/** The topics of one device, and the name levels they were built from. */
interface DeviceTopics {
  name: string;
  outlet: string | undefined;
  /** `<p>/<name>`: the JSON state. */
  state: string;
  /** `<p>/<name>/<field>` per field of {@link MEASUREMENT_FIELDS}. */
  fields: readonly string[];
}

/**
 * The text `JSON.stringify` writes for a number: `String(n)` when finite, else `null`.
 * @param n any number
 */
export function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** One reading's messages for a fixed prefix and `mqtt.output`; keeps each device's topics. */
export class ReadingEncoder {
  /** Keyed by the device object the collector keeps for a plug or outlet: freed with it. */
  readonly #topics = new WeakMap<DeviceInfo, DeviceTopics>();
  readonly #json: boolean;
  readonly #attributes: boolean;

  /**
   * @param prefix `mqtt.topicPrefix`
   * @param output `mqtt.output`
   * @throws Error when the prefix is not a valid topic prefix
   */
  constructor(
    private readonly prefix: string,
    output: MqttOutput,
  ) {
    assertTopicPrefix(prefix);
    this.#json = output !== 'attributes';
    this.#attributes = output !== 'json';
  }

  /**
   * The per-tick messages of one reading: the retained JSON state (`json`,
   * `json_and_attributes`), then one plain value per present field, not retained
   * (`attributes`, `json_and_attributes`).
   * @param reading a normalized reading (V, A, W, kWh, dBm)
   * @returns e.g. `kasa/fridge` → `{"time":1700000000,"power":12.5,...}`, `kasa/fridge/power` → `12.5`
   * @throws Error when the device name is not a valid topic level
   */
  encode(reading: Reading): MqttMessage[] {
    const topics = this.#topicsOf(reading.device);
    const values = reading.values;
    const out: MqttMessage[] = [];
    const state: MqttMessage | undefined = this.#json
      ? { topic: topics.state, payload: '', retain: true }
      : undefined;
    if (state !== undefined) out.push(state);
    let json = `{"time":${jsonNumber(reading.time)}`;
    for (let i = 0; i < MEASUREMENT_FIELDS.length; i++) {
      const field = MEASUREMENT_FIELDS[i] as (typeof MEASUREMENT_FIELDS)[number];
      let text: string;
      let jsonText: string;
      if (field === 'state') {
        const relay = values.state;
        if (relay === undefined) continue;
        text = relay;
        jsonText = relay === 'ON' ? '"ON"' : relay === 'OFF' ? '"OFF"' : JSON.stringify(relay);
      } else {
        const v = values[field];
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        text = decimalText(v, DECIMALS[i] as number);
        jsonText = text;
      }
      json += (JSON_KEYS[i] as string) + jsonText;
      if (this.#attributes) {
        out.push({ topic: topics.fields[i] as string, payload: text, retain: false });
      }
    }
    if (state !== undefined) state.payload = `${json}}`;
    return out;
  }

  /** The device's topics, built (and its name checked) on first use and when its name changes. */
  #topicsOf(device: DeviceInfo): DeviceTopics {
    const known = this.#topics.get(device);
    const outlet = device.outlet?.name;
    if (known !== undefined && known.name === device.name && known.outlet === outlet) return known;
    assertDeviceName(device);
    const state = `${this.prefix}/${topicPath(device)}`;
    const topics: DeviceTopics = {
      name: device.name,
      outlet,
      state,
      fields: MEASUREMENT_FIELDS.map((f) => `${state}/${f}`),
    };
    this.#topics.set(device, topics);
    return topics;
  }
}
