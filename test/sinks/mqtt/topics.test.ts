import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../../src/reading.js';
import {
  assertDeviceName,
  assertTopicPrefix,
  availabilityMessage,
  bridgeStateMessage,
  infoMessage,
  readingMessages,
} from '../../../src/sinks/mqtt/topics.js';
import { makeReading } from '../helpers.js';

describe('readingMessages', () => {
  it('publishes retained JSON state in fixed key order, then plain per-field values', () => {
    expect(readingMessages(makeReading(), 'kasa')).toEqual([
      {
        topic: 'kasa/fridge',
        payload:
          '{"time":1700000000,"power":12.5,"energy":1.234,"voltage":230.1,"current":0.123,"state":"ON","rssi":-60}',
        retain: true,
      },
      { topic: 'kasa/fridge/power', payload: '12.5', retain: false },
      { topic: 'kasa/fridge/energy', payload: '1.234', retain: false },
      { topic: 'kasa/fridge/voltage', payload: '230.1', retain: false },
      { topic: 'kasa/fridge/current', payload: '0.123', retain: false },
      { topic: 'kasa/fridge/state', payload: 'ON', retain: false },
      { topic: 'kasa/fridge/rssi', payload: '-60', retain: false },
    ]);
  });

  const cases: [string, Measurement, string, [string, string][]][] = [
    [
      'no emeter: only state and rssi',
      { state: 'OFF', rssi: -71 },
      '{"time":1700000000,"state":"OFF","rssi":-71}',
      [
        ['state', 'OFF'],
        ['rssi', '-71'],
      ],
    ],
    ['nothing at all', {}, '{"time":1700000000}', []],
    [
      'zero power is kept (it was measured)',
      { power: 0 },
      '{"time":1700000000,"power":0}',
      [['power', '0']],
    ],
    [
      'float noise rounded',
      { power: 0.1 + 0.2, voltage: 230.12345, current: 0.123456 },
      '{"time":1700000000,"power":0.3,"voltage":230.123,"current":0.1235}',
      [
        ['power', '0.3'],
        ['voltage', '230.123'],
        ['current', '0.1235'],
      ],
    ],
    [
      'energy keeps 6 decimals (Wh never lost)',
      { energy: 12.3456789 },
      '{"time":1700000000,"energy":12.345679}',
      [['energy', '12.345679']],
    ],
    [
      'energy_total (lifetime) right after energy, 6 decimals',
      { voltage: 230, energy_total: 1234.56789012, energy: 0.5 },
      '{"time":1700000000,"energy":0.5,"energy_total":1234.56789,"voltage":230}',
      [
        ['energy', '0.5'],
        ['energy_total', '1234.56789'],
        ['voltage', '230'],
      ],
    ],
    ['-0 becomes 0', { power: -0.0001 }, '{"time":1700000000,"power":0}', [['power', '0']]],
    [
      'NaN and Infinity are left out, never published',
      { power: Number.NaN, energy: Number.POSITIVE_INFINITY, rssi: -50 },
      '{"time":1700000000,"rssi":-50}',
      [['rssi', '-50']],
    ],
  ];
  it.each(cases)('%s', (_what, values, json, fields) => {
    const msgs = readingMessages(makeReading({ values }), 'home/kasa');
    expect(msgs[0]).toEqual({ topic: 'home/kasa/fridge', payload: json, retain: true });
    expect(msgs.slice(1)).toEqual(
      fields.map(([f, p]) => ({ topic: `home/kasa/fridge/${f}`, payload: p, retain: false })),
    );
  });

  it('never invents a 0 for a missing energy total', () => {
    const msgs = readingMessages(makeReading({ values: { power: 5 } }), 'kasa');
    expect(msgs.map((m) => m.topic)).not.toContain('kasa/fridge/energy');
    expect(JSON.parse(msgs[0]!.payload)).not.toHaveProperty('energy');
  });
});

describe('infoMessage', () => {
  it('carries identity, host, port and node, retained', () => {
    expect(infoMessage(makeReading(), 'kasa')).toEqual({
      topic: 'kasa/fridge/info',
      payload: JSON.stringify({
        alias: 'Fridge',
        model: 'HS110(EU)',
        hw_ver: '2.0',
        sw_ver: '1.5.10',
        mac: '50:C7:BF:00:00:01',
        deviceId: '8006' + '0'.repeat(36),
        host: '10.0.0.5',
        port: 9999,
        node: 5,
      }),
      retain: true,
    });
  });

  it('leaves out absent identity fields and an unset node', () => {
    const r = makeReading({ identity: { model: 'KP115(EU)' }, device: { node: undefined } });
    expect(infoMessage(r, 'kasa').payload).toBe(
      '{"model":"KP115(EU)","host":"10.0.0.5","port":9999}',
    );
  });
});

describe('availability and bridge state', () => {
  const device = makeReading().device;
  it.each([
    [true, 'online'],
    [false, 'offline'],
  ])('availability %s → %s, retained', (online, payload) => {
    expect(availabilityMessage(device, 'kasa', online)).toEqual({
      topic: 'kasa/fridge/availability',
      payload,
      retain: true,
    });
  });
  it.each([
    [true, 'online'],
    [false, 'offline'],
  ])('bridge %s → %s, retained', (online, payload) => {
    expect(bridgeStateMessage('kasa', online)).toEqual({
      topic: 'kasa/bridge/state',
      payload,
      retain: true,
    });
  });
});

describe('topic validation', () => {
  it.each(['kasa', 'home/kasa', 'a-b_c/d'])('accepts prefix %j', (p) => {
    expect(() => assertTopicPrefix(p)).not.toThrow();
  });
  it.each([
    '',
    'kasa/',
    '/kasa',
    'a//b',
    'ka+sa',
    'kasa/#',
    'ka\u0000sa',
    'ka\nsa',
    '$SYS',
    'x\uD800',
  ])('rejects prefix %j', (p) => {
    expect(() => assertTopicPrefix(p)).toThrow(/MQTT topic prefix/);
  });

  it.each(['a/b', '+', 'x#', '', 'bridge', 'nul\u0000', 'tab\t'])(
    'rejects device name %j, naming the device',
    (name) => {
      const device = { name, host: '10.0.0.9', port: 9999 };
      expect(() => assertDeviceName(device)).toThrow(/device 10\.0\.0\.9:9999: name/);
      expect(() => readingMessages(makeReading({ device }), 'kasa')).toThrow(/10\.0\.0\.9:9999/);
    },
  );

  it('accepts slugified names', () => {
    expect(() => assertDeviceName({ name: 'kuche_2-a', host: 'h', port: 1 })).not.toThrow();
  });
});
