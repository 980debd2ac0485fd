import { afterEach, describe, expect, it } from 'vitest';
import type { MqttOutput } from '../../../src/config/types.js';
import { mqttExtensions } from '../../../src/main.js';
import type { RelayCommand } from '../../../src/sinks/sink.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { makeReading, mqttConfig, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

const STATE =
  '{"time":1700000000,"power":12.5,"energy":1.234,"voltage":230.1,"current":0.123,"state":"ON","rssi":-60}';
const FIELDS: [string, string][] = [
  ['kasa/fridge/power', '12.5'],
  ['kasa/fridge/energy', '1.234'],
  ['kasa/fridge/voltage', '230.1'],
  ['kasa/fridge/current', '0.123'],
  ['kasa/fridge/state', 'ON'],
  ['kasa/fridge/rssi', '-60'],
];

/** What one reading of a controllable plug publishes in a mode, and what reaches the collector. */
async function publishIn(
  url: string,
  output: MqttOutput,
): Promise<{ readings: [string, string][]; rest: [string, string][]; commands: RelayCommand[] }> {
  const sub = await subscribe(url, '#');
  const commands: RelayCommand[] = [];
  const config = mqttConfig(url, { output });
  const sink = new MqttSink(config, {
    log: memoryLogger().log,
    clock: systemClock,
    extensions: mqttExtensions(config, {
      homeassistant: { enabled: true, prefix: 'homeassistant' },
      onRelayCommand: (c) => commands.push(c),
      version: '1.0.0',
    }),
  });
  await sink.start();
  await waitFor(() => sink.connected, 5000, 'connect');
  const reading = makeReading({ device: { control: true } });
  sink.availability(reading.device, true);
  sink.write(reading);
  await waitFor(() => sink.sent === 1, 5000, 'the reading acknowledged');
  await sub.client.publishAsync('kasa/fridge/set', 'OFF', { qos: 1 });
  await waitFor(() => commands.length === 1, 5000, 'the relay command');
  await sink.stop();
  await sub.close();
  const seen = sub.seen
    .filter((m) => m.topic !== 'kasa/fridge/set')
    .map((m): [string, string] => [m.topic, m.payload]);
  const isReading = ([t]: [string, string]): boolean =>
    t === 'kasa/fridge' || FIELDS.some(([f]) => f === t);
  return {
    readings: seen.filter(isReading),
    rest: seen.filter((m) => !isReading(m)),
    commands,
  };
}

describe('mqtt.output against a real broker', () => {
  const brokers: TestBroker[] = [];
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.stop();
  });

  /** {@link publishIn} on a broker of its own, so no retained message of another mode shows. */
  async function fresh(output: MqttOutput): ReturnType<typeof publishIn> {
    const broker = await startBroker();
    brokers.push(broker);
    return publishIn(broker.url, output);
  }

  it('publishes the reading as its mode says; everything else is the same in every mode', async () => {
    const json = await fresh('json');
    const attributes = await fresh('attributes');
    const both = await fresh('json_and_attributes');

    expect(json.readings).toEqual([['kasa/fridge', STATE]]);
    expect(attributes.readings).toEqual(FIELDS);
    expect(both.readings).toEqual([['kasa/fridge', STATE], ...FIELDS]);

    // Bridge state, availability, info, discovery and relay commands do not depend on the mode.
    expect(attributes.rest).toEqual(json.rest);
    expect(both.rest).toEqual(json.rest);
    const topics = json.rest.map(([t]) => t);
    for (const t of [
      'kasa/bridge/state',
      'kasa/fridge/availability',
      'kasa/fridge/info',
      'homeassistant/device/kasa_50c7bf000001/config',
    ])
      expect(topics).toContain(t);
    for (const r of [json, attributes, both])
      expect(r.commands).toEqual([{ device: 'fridge', action: 'OFF' }]);

    // Home Assistant reads every entity from the JSON state alone, which `json` publishes.
    const discovery = json.rest.find(([t]) => t.startsWith('homeassistant/device/'));
    const cmps = Object.values(
      (JSON.parse(discovery?.[1] ?? '{}') as { cmps: Record<string, Record<string, string>> }).cmps,
    );
    expect(cmps.length).toBeGreaterThan(0);
    for (const c of cmps) {
      expect(c['state_topic']).toBe('kasa/fridge');
      expect(c['value_template']).toMatch(/^\{\{ value_json\.\w+ \}\}$/);
    }
  }, 30_000);
});
