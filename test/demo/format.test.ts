import { describe, expect, it } from 'vitest';
import { formatLine } from '../../src/demo/format.js';

/** The demo's one line per reading, from JSON state topics only. */
describe('formatLine', () => {
  const state = JSON.stringify({
    time: 1_700_000_010,
    power: 85.2,
    voltage: 231.4,
    current: 0.436,
    energy: 41.37215,
    state: 'ON',
    rssi: -52,
  });

  it("prints a plug's and a strip outlet's state in the same columns", () => {
    const plug = formatLine('kasa/fridge', state, 'kasa');
    const outlet = formatLine('kasa/office_strip/kettle', state, 'kasa');
    expect(plug).toBe(
      '22:13:30 fridge                 ON     85.20 W  231.4 V  0.436 A  41.37215 kWh  -52 dBm',
    );
    expect(outlet).toBe(
      '22:13:30 office_strip/kettle    ON     85.20 W  231.4 V  0.436 A  41.37215 kWh  -52 dBm',
    );
  });

  it('skips per-field values, info, bridge state, other prefixes and deeper topics', () => {
    expect(formatLine('kasa/fridge/power', '85.2', 'kasa')).toBeUndefined();
    expect(formatLine('kasa/fridge/info', '{"alias":"Fridge"}', 'kasa')).toBeUndefined();
    expect(formatLine('kasa/bridge/state', 'online', 'kasa')).toBeUndefined();
    expect(formatLine('other/fridge', state, 'kasa')).toBeUndefined();
    expect(formatLine('kasa/a/b/c', state, 'kasa')).toBeUndefined();
    expect(formatLine('kasa/fridge', 'not json', 'kasa')).toBeUndefined();
  });
});
