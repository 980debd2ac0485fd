import { describe, expect, it } from 'vitest';
import type { MeasurementField } from '../../../src/reading.js';
import {
  discoveryId,
  discoveryMessage,
  hasComponents,
} from '../../../src/sinks/homeassistant/discovery.js';
import { haProblems, type Json } from './ha-rules.js';
import { makeReading } from '../helpers.js';

const CTX = { haPrefix: 'homeassistant', topicPrefix: 'kasa', version: '1.2.3' };
const ALL: MeasurementField[] = [
  'power',
  'energy',
  'energy_total',
  'voltage',
  'current',
  'state',
  'rssi',
];

const parse = (fields: MeasurementField[], control = false): Json => {
  const reading = makeReading({ device: control ? { control: true } : {} });
  return JSON.parse(discoveryMessage(reading, new Set(fields), CTX).payload) as Json;
};

describe('Home Assistant discovery message', () => {
  it('meets the required-field rules, with and without control', () => {
    expect(haProblems(parse(ALL))).toEqual([]);
    expect(haProblems(parse(ALL, true))).toEqual([]);
    expect(haProblems(parse(['state', 'rssi'], true))).toEqual([]);
  });

  it('goes to <prefix>/device/<id>/config, retained, with the id from the MAC', () => {
    const m = discoveryMessage(makeReading(), new Set(ALL), CTX);
    expect(m).toMatchObject({
      topic: 'homeassistant/device/kasa_50c7bf000001/config',
      retain: true,
    });
  });

  it('keeps ids stable across address and name changes', () => {
    const a = makeReading();
    const b = makeReading({ device: { host: '10.9.9.9', name: 'renamed' } });
    expect(discoveryId(b)).toBe(discoveryId(a));
    expect(discoveryId(makeReading({ identity: { deviceId: 'ABC123' } }))).toBe('kasa_abc123');
  });

  it('describes the plug, us, and both availability topics', () => {
    const p = parse(ALL);
    expect(p['dev']).toEqual({
      identifiers: ['kasa_50c7bf000001'],
      connections: [['mac', '50:c7:bf:00:00:01']],
      name: 'Fridge',
      manufacturer: 'TP-Link',
      model: 'HS110(EU)',
      sw_version: '1.5.10',
      hw_version: '2.0',
    });
    expect(p['o']).toEqual({ name: 'kasa-collector', sw: '1.2.3' });
    expect(p['availability']).toEqual([
      { topic: 'kasa/bridge/state' },
      { topic: 'kasa/fridge/availability' },
    ]);
    expect(p['availability_mode']).toBe('all');
  });

  it('has one sensor per field with HA units and classes; energy_total fits the Energy dashboard', () => {
    const cmps = parse(ALL)['cmps'] as Record<string, Json>;
    expect(Object.keys(cmps)).toEqual([
      'power',
      'energy',
      'energy_total',
      'voltage',
      'current',
      'rssi',
      'relay_state',
    ]);
    expect(cmps['energy_total']).toEqual({
      p: 'sensor',
      unique_id: 'kasa_50c7bf000001_energy_total',
      name: 'Energy',
      device_class: 'energy',
      state_class: 'total_increasing',
      unit_of_measurement: 'kWh',
      state_topic: 'kasa/fridge',
      value_template: '{{ value_json.energy_total }}',
    });
    expect(cmps['power']).toMatchObject({ state_class: 'measurement', unit_of_measurement: 'W' });
    expect(cmps['voltage']).toMatchObject({ device_class: 'voltage', unit_of_measurement: 'V' });
    expect(cmps['current']).toMatchObject({ device_class: 'current', unit_of_measurement: 'A' });
    expect(cmps['rssi']).toMatchObject({
      device_class: 'signal_strength',
      unit_of_measurement: 'dBm',
      entity_category: 'diagnostic',
    });
  });

  it('adds a switch only with control; a plug without emeter gets rssi (and the switch)', () => {
    expect(parse(ALL)['cmps']).not.toHaveProperty('relay');
    const cmps = parse(['state', 'rssi'], true)['cmps'] as Record<string, Json>;
    expect(Object.keys(cmps)).toEqual(['rssi', 'relay']);
    expect(cmps['relay']).toMatchObject({
      p: 'switch',
      command_topic: 'kasa/fridge/set',
      state_topic: 'kasa/fridge',
      value_template: '{{ value_json.state }}',
      payload_on: 'ON',
      payload_off: 'OFF',
    });
  });

  it('shows the relay of a plug without control as a read-only binary sensor', () => {
    const cmps = parse(['state', 'rssi'])['cmps'] as Record<string, Json>;
    expect(Object.keys(cmps)).toEqual(['rssi', 'relay_state']);
    expect(cmps['relay_state']).toEqual({
      p: 'binary_sensor',
      unique_id: 'kasa_50c7bf000001_relay_state',
      name: 'Relay',
      device_class: 'power',
      state_topic: 'kasa/fridge',
      value_template: '{{ value_json.state }}',
      payload_on: 'ON',
      payload_off: 'OFF',
    });
    expect(cmps['relay_state']).not.toHaveProperty('command_topic');
    // With control the switch replaces it, under another key (HA drops the omitted one).
    expect(parse(['state', 'rssi'], true)['cmps']).not.toHaveProperty('relay_state');
    // No relay state read yet: nothing to show.
    expect(parse(['rssi'])['cmps']).not.toHaveProperty('relay_state');
  });

  it('never gives a strip itself a relay entity (its outlets have them)', () => {
    const strip = { ...makeReading(), outletCount: 6 };
    const cmps = (
      JSON.parse(
        discoveryMessage(strip, new Set<MeasurementField>(['state', 'power']), CTX).payload,
      ) as Json
    )['cmps'] as Json;
    expect(Object.keys(cmps)).toEqual(['power']);
    expect(hasComponents(strip, new Set<MeasurementField>(['state']))).toBe(false);
    expect(hasComponents(makeReading(), new Set<MeasurementField>(['state']))).toBe(true);
  });

  it('offers the Energy dashboard only the lifetime energy: since-boot energy is diagnostic and disabled', () => {
    const cmps = parse(ALL)['cmps'] as Record<string, Json>;
    expect(cmps['energy']).toMatchObject({
      name: 'Energy since boot',
      entity_category: 'diagnostic',
      enabled_by_default: false,
    });
    const enabledEnergy = Object.values(cmps).filter(
      (c) => c['device_class'] === 'energy' && c['enabled_by_default'] !== false,
    );
    expect(enabledEnergy.map((c) => c['unique_id'])).toEqual(['kasa_50c7bf000001_energy_total']);
    expect(cmps['energy_total']).not.toHaveProperty('entity_category');
  });

  it('makes signal strength diagnostic and disabled by default', () => {
    const cmps = parse(ALL)['cmps'] as Record<string, Json>;
    expect(cmps['rssi']).toMatchObject({
      entity_category: 'diagnostic',
      enabled_by_default: false,
    });
    for (const field of ['power', 'voltage', 'current'])
      expect(cmps[field]).not.toHaveProperty('enabled_by_default');
  });
});
