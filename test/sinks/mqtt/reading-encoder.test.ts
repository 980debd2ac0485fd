import { describe, expect, it } from 'vitest';
import type { MqttOutput } from '../../../src/config/types.js';
import type { Measurement, Reading } from '../../../src/reading.js';
import { ReadingEncoder, jsonNumber } from '../../../src/sinks/mqtt/reading-encoder.js';
import { readingMessages } from '../../../src/sinks/mqtt/topics.js';
import { makeReading } from '../helpers.js';

const MODES: MqttOutput[] = ['json', 'attributes', 'json_and_attributes'];

/** Values that exercise rounding, -0, absent and non-finite fields. */
const VALUES: Measurement[] = [
  makeReading().values,
  {},
  { state: 'OFF', rssi: -71 },
  { power: 0.1 + 0.2, voltage: 230.12345, current: 0.123456 },
  { energy: 12.3456789, energy_total: 1234.56789012 },
  { power: -0.0001, energy: -0 },
  { power: Number.NaN, energy: Number.POSITIVE_INFINITY, voltage: Number.NEGATIVE_INFINITY },
  { power: 1e21, energy: 5e-7, current: 1e-10, rssi: -0.4 },
  { power: 3999.9995, energy_total: 701_280.000001, voltage: 80, current: 20, state: 'ON' },
];

const TIMES = [1_700_000_000, 1_700_000_000.5, Number.NaN, Number.POSITIVE_INFINITY];

/** `readingMessages` (JSON.stringify of an object) filtered to what `output` publishes. */
function reference(reading: Reading, output: MqttOutput): ReturnType<typeof readingMessages> {
  const all = readingMessages(reading, 'home/kasa');
  if (output === 'json') return all.slice(0, 1);
  if (output === 'attributes') return all.slice(1);
  return all;
}

describe('ReadingEncoder', () => {
  it('writes, in every mode, the same bytes as JSON.stringify of the reading object', () => {
    for (const output of MODES) {
      const encoder = new ReadingEncoder('home/kasa', output);
      for (const values of VALUES) {
        for (const time of TIMES) {
          const reading = makeReading({ time, values });
          const got = encoder.encode(reading);
          expect(got, `${output} ${JSON.stringify(values)} @${time}`).toEqual(
            reference(reading, output),
          );
          const state = got.find((m) => m.retain);
          if (state === undefined) continue;
          // The JSON parses back to the rounded values, absent and non-finite fields left out.
          const parsed = JSON.parse(state.payload) as Record<string, unknown>;
          expect(parsed['time']).toBe(Number.isFinite(time) ? time : null);
          for (const [field, v] of Object.entries(values)) {
            if (typeof v === 'number' && !Number.isFinite(v))
              expect(parsed).not.toHaveProperty(field);
            else expect(parsed).toHaveProperty(field);
          }
        }
      }
    }
  });

  it('publishes per mode: the JSON state alone, the per-field values alone, or both', () => {
    const reading = makeReading({ values: { power: 12.5, state: 'ON' } });
    const topics = (output: MqttOutput): string[] =>
      new ReadingEncoder('kasa', output).encode(reading).map((m) => m.topic);
    expect(topics('json')).toEqual(['kasa/fridge']);
    expect(topics('attributes')).toEqual(['kasa/fridge/power', 'kasa/fridge/state']);
    expect(topics('json_and_attributes')).toEqual([
      'kasa/fridge',
      'kasa/fridge/power',
      'kasa/fridge/state',
    ]);
    expect(new ReadingEncoder('kasa', 'attributes').encode(makeReading({ values: {} }))).toEqual(
      [],
    );
  });

  it('builds topics once per device, and again when its name changes', () => {
    const encoder = new ReadingEncoder('kasa', 'json_and_attributes');
    const reading = makeReading({ device: { outlet: { name: 'kettle', position: 2, id: 'x2' } } });
    const first = encoder.encode(reading);
    const second = encoder.encode({ ...reading, time: reading.time + 1 });
    expect(second.map((m) => m.topic)).toEqual(first.map((m) => m.topic));
    expect(second[0]?.topic).toBe(first[0]?.topic); // the same string object, not rebuilt
    expect(second[0]?.topic).toBe('kasa/fridge/kettle');
    reading.device.name = 'cellar';
    expect(encoder.encode(reading)[0]?.topic).toBe('kasa/cellar/kettle');
    (reading.device.outlet as { name: string }).name = 'lamp';
    expect(encoder.encode(reading)[1]?.topic).toBe('kasa/cellar/lamp/power');
  });

  it('refuses a name that is not one topic level, and a bad prefix, like readingMessages', () => {
    const encoder = new ReadingEncoder('kasa', 'json');
    expect(() => encoder.encode(makeReading({ device: { name: 'a/b' } }))).toThrow(
      /name "a\/b" contains "\/"/,
    );
    expect(() => encoder.encode(makeReading({ device: { name: 'bridge' } }))).toThrow(/reserved/);
    expect(() => new ReadingEncoder('kasa/#', 'json')).toThrow(/topic prefix "kasa\/#"/);
  });

  it('writes numbers as JSON.stringify does', () => {
    for (const n of [0, -0, 1.5, -60, 1e21, 5e-7, Number.NaN, Number.NEGATIVE_INFINITY])
      expect(jsonNumber(n)).toBe(JSON.stringify(n));
  });
});
