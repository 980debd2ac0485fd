import { describe, expect, it } from 'vitest';
import { KasaMetrics } from '../../src/sinks/prometheus/metrics.js';
import type { DeviceInfo, MeasurementField, Reading } from '../../src/reading.js';
import type { RelayCommand } from '../../src/sinks/sink.js';
import { discoveryId, discoveryMessage } from '../../src/sinks/homeassistant/discovery.js';
import { MqttRelayCommands } from '../../src/sinks/mqtt/relay-commands.js';
import {
  assertDeviceName,
  availabilityMessage,
  infoMessage,
  readingMessages,
} from '../../src/sinks/mqtt/topics.js';
import {
  TASMOTA_LAYOUT,
  tasmotaLwtMessage,
  tasmotaReadingMessages,
} from '../../src/sinks/tasmota/topics.js';
import { family } from './prometheus/helpers.js';
import { haProblems, type Json } from './homeassistant/ha-rules.js';
import { memoryLogger } from '../fakes/memory-log.js';

/**
 * How the sinks address a power strip's outlets and the strip itself
 * (docs/mqtt-and-home-assistant.md#power-strips).
 */

const DEVICE_ID = '8006' + '12'.repeat(18);
const MAC = '50:C7:BF:00:00:30';
const STRIP: DeviceInfo = { name: 'office_strip', host: '10.0.0.9', port: 9999, node: 30 };
const KETTLE: DeviceInfo = {
  name: 'office_strip',
  host: '10.0.0.9',
  port: 9999,
  node: 31,
  outlet: { name: 'kettle', position: 1, id: `${DEVICE_ID}00` },
};
const IDENTITY = {
  model: 'HS300(US)',
  hw_ver: '2.0',
  sw_ver: '1.0.12',
  mac: MAC,
  deviceId: DEVICE_ID,
};
const CTX = { haPrefix: 'homeassistant', topicPrefix: 'kasa', version: '1.2.3' };

function outletReading(device: DeviceInfo = KETTLE, values: Reading['values'] = {}): Reading {
  return {
    time: 1_700_000_010,
    device,
    identity: { alias: 'Kettle', ...IDENTITY },
    values: {
      power: 2000,
      energy: 1.5,
      energy_total: 10.25,
      voltage: 230.1,
      current: 8.75,
      state: 'ON',
      ...values,
    },
    hasEmeter: true,
  };
}

function stripReading(device: DeviceInfo = STRIP): Reading {
  return {
    time: 1_700_000_010,
    device,
    identity: { alias: 'Office Strip', ...IDENTITY },
    values: {
      rssi: -55,
      power: 2080.5,
      energy: 1.875,
      energy_total: 13,
      voltage: 231,
      current: 9.125,
    },
    hasEmeter: true,
    outletCount: 3,
  };
}

describe('MQTT topics of an outlet', () => {
  it('publishes its state and fields under <p>/<strip>/<outlet>', () => {
    expect(readingMessages(outletReading(), 'kasa')).toEqual([
      {
        topic: 'kasa/office_strip/kettle',
        payload:
          '{"time":1700000010,"power":2000,"energy":1.5,"energy_total":10.25,"voltage":230.1,"current":8.75,"state":"ON"}',
        retain: true,
      },
      { topic: 'kasa/office_strip/kettle/power', payload: '2000', retain: false },
      { topic: 'kasa/office_strip/kettle/energy', payload: '1.5', retain: false },
      { topic: 'kasa/office_strip/kettle/energy_total', payload: '10.25', retain: false },
      { topic: 'kasa/office_strip/kettle/voltage', payload: '230.1', retain: false },
      { topic: 'kasa/office_strip/kettle/current', payload: '8.75', retain: false },
      { topic: 'kasa/office_strip/kettle/state', payload: 'ON', retain: false },
    ]);
  });

  it("keeps the strip's own topics at <p>/<strip>, apart from its outlets'", () => {
    const topics = readingMessages(stripReading(), 'home/kasa').map((m) => m.topic);
    expect(topics[0]).toBe('home/kasa/office_strip');
    expect(topics).toContain('home/kasa/office_strip/power');
    expect(topics.every((t) => !t.includes('kettle'))).toBe(true);
  });

  it("puts the outlet's position and child id in info, with the outlet's node", () => {
    const m = infoMessage(outletReading(), 'kasa');
    expect(m.topic).toBe('kasa/office_strip/kettle/info');
    expect(m.retain).toBe(true);
    expect(JSON.parse(m.payload)).toEqual({
      alias: 'Kettle',
      ...IDENTITY,
      outlet: 1,
      id: `${DEVICE_ID}00`,
      host: '10.0.0.9',
      port: 9999,
      node: 31,
    });
    const strip = JSON.parse(infoMessage(stripReading(), 'kasa').payload) as Json;
    expect(strip).not.toHaveProperty('outlet');
    expect(strip['node']).toBe(30);
  });

  it('publishes its availability under its own path', () => {
    expect(availabilityMessage(KETTLE, 'kasa', false)).toEqual({
      topic: 'kasa/office_strip/kettle/availability',
      payload: 'offline',
      retain: true,
    });
  });

  it('refuses an outlet name that is not one topic level, naming the outlet', () => {
    for (const bad of ['a/b', 'k+', '#', '', 'bridge']) {
      const device = { ...KETTLE, outlet: { ...KETTLE.outlet!, name: bad } };
      expect(() => assertDeviceName(device)).toThrow(/10\.0\.0\.9:9999 outlet 1/);
      expect(() => readingMessages(outletReading(device), 'kasa')).toThrow(/topic level/);
    }
  });
});

describe('Tasmota topics of an outlet', () => {
  it('joins strip and outlet into one level: tele/<strip>_<outlet>', () => {
    expect(tasmotaReadingMessages(outletReading())).toEqual([
      {
        topic: 'tele/office_strip_kettle/SENSOR',
        payload:
          '{"Time":"2023-11-14T22:13:30Z","ENERGY":{"Total":10.25,"Power":2000,"Voltage":230.1,"Current":8.75}}',
        retain: false,
      },
      {
        topic: 'tele/office_strip_kettle/STATE',
        payload: '{"Time":"2023-11-14T22:13:30Z","POWER":"ON"}',
        retain: false,
      },
    ]);
    expect(tasmotaLwtMessage(KETTLE, true)).toEqual({
      topic: 'tele/office_strip_kettle/LWT',
      payload: 'Online',
      retain: true,
    });
    expect(TASMOTA_LAYOUT.availability(KETTLE, 'kasa', false).topic).toBe(
      'tele/office_strip_kettle/LWT',
    );
  });

  it('keeps the strip itself at tele/<strip>', () => {
    const topics = tasmotaReadingMessages(stripReading()).map((m) => m.topic);
    expect(topics).toEqual(['tele/office_strip/SENSOR']);
  });
});

describe('Home Assistant discovery of a strip and its outlets', () => {
  const ALL: MeasurementField[] = [
    'power',
    'energy',
    'energy_total',
    'voltage',
    'current',
    'state',
  ];
  const parse = (r: Reading, fields: MeasurementField[]): Json =>
    JSON.parse(discoveryMessage(r, new Set(fields), CTX).payload) as Json;

  it('announces an outlet as its own device, linked to the strip by via_device', () => {
    const m = discoveryMessage(outletReading(), new Set(ALL), CTX);
    expect(m.topic).toBe('homeassistant/device/kasa_50c7bf000030_outlet1/config');
    expect(m.retain).toBe(true);
    const p = JSON.parse(m.payload) as Json;
    expect(haProblems(p)).toEqual([]);
    expect(p['dev']).toEqual({
      identifiers: ['kasa_50c7bf000030_outlet1'],
      name: 'Kettle',
      manufacturer: 'TP-Link',
      via_device: 'kasa_50c7bf000030',
      model: 'HS300(US)',
      sw_version: '1.0.12',
      hw_version: '2.0',
    });
    expect(p['availability']).toEqual([
      { topic: 'kasa/bridge/state' },
      { topic: 'kasa/office_strip/kettle/availability' },
    ]);
    const cmps = p['cmps'] as Record<string, Json>;
    expect(Object.keys(cmps)).toEqual([
      'power',
      'energy',
      'energy_total',
      'voltage',
      'current',
      'relay_state',
    ]);
    expect(cmps['power']).toMatchObject({
      unique_id: 'kasa_50c7bf000030_outlet1_power',
      state_topic: 'kasa/office_strip/kettle',
      value_template: '{{ value_json.power }}',
    });
  });

  it('names the outlet device after its name when the child has no alias', () => {
    const r = outletReading();
    delete r.identity.alias;
    expect((parse(r, ALL)['dev'] as Json)['name']).toBe('kettle');
  });

  it('gives the strip the via_device id and its MAC connection, and ids apart from its outlets', () => {
    const strip = parse(stripReading(), [...ALL, 'rssi']);
    expect(haProblems(strip)).toEqual([]);
    const dev = strip['dev'] as Json;
    expect(dev['identifiers']).toEqual(['kasa_50c7bf000030']);
    expect(dev['connections']).toEqual([['mac', MAC.toLowerCase()]]);
    expect(discoveryId(stripReading())).toBe('kasa_50c7bf000030');
    const outletIds = Object.values(
      parse(outletReading(), ALL)['cmps'] as Record<string, Json>,
    ).map((c) => c['unique_id']);
    const stripIds = Object.values(strip['cmps'] as Record<string, Json>).map(
      (c) => c['unique_id'],
    );
    expect(outletIds.filter((id) => stripIds.includes(id))).toEqual([]);
  });

  it('gives a strip with control no relay switch of its own', () => {
    const p = parse(stripReading({ ...STRIP, control: true }), [...ALL, 'rssi']);
    expect(haProblems(p)).toEqual([]);
    const cmps = p['cmps'] as Record<string, Json>;
    expect(cmps).not.toHaveProperty('relay');
    expect(Object.values(cmps).every((c) => c['p'] === 'sensor')).toBe(true);
  });

  it('gives an outlet with control a switch commanded on <p>/<strip>/<outlet>/set', () => {
    const p = parse(outletReading({ ...KETTLE, control: true }), ALL);
    expect(haProblems(p)).toEqual([]);
    expect((p['cmps'] as Record<string, Json>)['relay']).toEqual({
      p: 'switch',
      unique_id: 'kasa_50c7bf000030_outlet1_relay',
      name: 'Relay',
      state_topic: 'kasa/office_strip/kettle',
      value_template: '{{ value_json.state }}',
      command_topic: 'kasa/office_strip/kettle/set',
      payload_on: 'ON',
      payload_off: 'OFF',
    });
  });

  it('announces an outlet of a strip without emeter (KP303) with control as a switch alone', () => {
    const device: DeviceInfo = { ...KETTLE, control: true };
    const p = parse({ ...outletReading(device), hasEmeter: false, values: { state: 'OFF' } }, [
      'state',
    ]);
    expect(haProblems(p)).toEqual([]);
    expect(Object.keys(p['cmps'] as Json)).toEqual(['relay']);
  });

  it('gives an outlet without control no switch', () => {
    const cmps = parse(outletReading(), ALL)['cmps'] as Json;
    expect(cmps).not.toHaveProperty('relay');
  });
});

describe('MqttRelayCommands for outlets', () => {
  function commands(prefix = 'kasa') {
    const got: [string, string][] = [];
    const cap = memoryLogger();
    const toPair = (c: RelayCommand): [string, string] => [
      c.outlet === undefined ? c.device : `${c.device}/${c.outlet}`,
      c.action,
    ];
    const ext = new MqttRelayCommands(prefix, (c) => void got.push(toPair(c)), cap.log);
    return { ext, got, cap };
  }

  it('subscribes to device and outlet set topics', () => {
    expect(commands('home/kasa').ext.subscriptions).toEqual([
      'home/kasa/+/set',
      'home/kasa/+/+/set',
    ]);
  });

  it('routes <p>/<strip>/<outlet>/set to the handler as "strip/outlet"', () => {
    const { ext, got } = commands('home/kasa');
    ext.onMessage('home/kasa/office_strip/kettle/set', 'ON', false);
    ext.onMessage('home/kasa/office_strip/kettle/set', '{"state":"toggle"}', false);
    ext.onMessage('home/kasa/fridge/set', 'off', false);
    expect(got).toEqual([
      ['office_strip/kettle', 'ON'],
      ['office_strip/kettle', 'TOGGLE'],
      ['fridge', 'OFF'],
    ]);
  });

  it('ignores deeper names, empty levels and other prefixes', () => {
    const { ext, got } = commands();
    for (const topic of [
      'kasa/a/b/c/set',
      'kasa/office_strip//set',
      'kasa//kettle/set',
      'kasa/set',
      'other/office_strip/kettle/set',
      'kasa/office_strip/kettle/state',
    ])
      ext.onMessage(topic, 'ON', false);
    expect(got).toEqual([]);
  });

  it('ignores a retained outlet command with a warning naming the outlet', () => {
    const { ext, got, cap } = commands();
    ext.onMessage('kasa/office_strip/kettle/set', 'TOGGLE', true);
    expect(got).toEqual([]);
    expect(cap.lines.find((l) => l.msg.startsWith('retained relay command ignored'))).toMatchObject(
      { device: 'office_strip/kettle' },
    );
  });

  it('rejects a malformed outlet command with a warning, not a call', () => {
    const { ext, got, cap } = commands();
    ext.onMessage('kasa/office_strip/kettle/set', 'BOIL', false);
    expect(got).toEqual([]);
    expect(cap.lines.some((l) => l.msg.startsWith('malformed relay command'))).toBe(true);
  });
});

describe('Prometheus series of a strip and its outlets', () => {
  it('labels an outlet with device=<strip> and outlet=<outlet>', async () => {
    const m = new KasaMetrics();
    m.availability(KETTLE, true);
    m.reading(outletReading());
    const text = await m.registry.metrics();
    const on = (name: string): string[] => family(text, name).slice(2);
    expect(on('kasa_power_watts')).toEqual([
      'kasa_power_watts{device="office_strip",outlet="kettle"} 2000',
    ]);
    expect(on('kasa_voltage_volts')).toEqual([
      'kasa_voltage_volts{device="office_strip",outlet="kettle"} 230.1',
    ]);
    expect(on('kasa_relay_on')).toEqual(['kasa_relay_on{device="office_strip",outlet="kettle"} 1']);
    expect(on('kasa_device_up')).toEqual([
      'kasa_device_up{device="office_strip",outlet="kettle"} 1',
    ]);
    expect(on('kasa_energy_joules_total')).toEqual([
      'kasa_energy_joules_total{device="office_strip",outlet="kettle"} 36900000',
    ]);
    // The outlet has no info series of its own: it is the strip's.
    expect(on('kasa_device_info')).toEqual([]);
  });

  it("exports only rssi, up and info for the strip's own reading, so sum() counts nothing twice", async () => {
    const m = new KasaMetrics();
    m.availability(STRIP, true);
    m.reading(stripReading());
    m.reading(outletReading());
    const text = await m.registry.metrics();
    const on = (name: string): string[] => family(text, name).slice(2);
    expect(on('kasa_rssi_dbm')).toEqual(['kasa_rssi_dbm{device="office_strip",outlet=""} -55']);
    expect(on('kasa_device_up')).toEqual(['kasa_device_up{device="office_strip",outlet=""} 1']);
    expect(on('kasa_device_info')).toEqual([
      'kasa_device_info{device="office_strip",host="10.0.0.9",model="HS300(US)",hw_ver="2.0",sw_ver="1.0.12",mac="50:C7:BF:00:00:30"} 1',
    ]);
    for (const name of [
      'kasa_power_watts',
      'kasa_voltage_volts',
      'kasa_current_amperes',
      'kasa_energy_joules_total',
    ]) {
      expect(on(name).filter((l) => l.includes('outlet=""'))).toEqual([]);
      expect(on(name)).toHaveLength(1);
    }
  });

  it("drops an outlet's gauges when it goes offline, keeping its energy counter", async () => {
    const m = new KasaMetrics();
    m.availability(KETTLE, true);
    m.reading(outletReading());
    m.availability(KETTLE, false);
    const text = await m.registry.metrics();
    expect(family(text, 'kasa_power_watts').slice(2)).toEqual([]);
    expect(family(text, 'kasa_device_up').slice(2)).toEqual([
      'kasa_device_up{device="office_strip",outlet="kettle"} 0',
    ]);
    expect(family(text, 'kasa_energy_joules_total').slice(2)).toHaveLength(1);
  });
});
