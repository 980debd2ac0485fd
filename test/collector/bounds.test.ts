import { describe, expect, it } from 'vitest';
import type { FilterConfig } from '../../src/config/types.js';
import { applyBounds, type BoundedField } from '../../src/collector/bounds.js';
import type { Measurement } from '../../src/reading.js';

/** The schema's defaults (`src/config/keys.ts` `filter`). */
const B: FilterConfig = { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 };

const good: Measurement = {
  power: 85.2,
  energy: 1.2345,
  voltage: 231.4,
  current: 0.4361,
  state: 'ON',
  rssi: -52,
};

describe('applyBounds: one value out of bounds is removed, the rest survive', () => {
  const cases: [string, BoundedField, number, string][] = [
    ['power above maxPower', 'power', 4000.001, 'above maxPower 4000 W'],
    ['current above maxCurrent', 'current', 20.5, 'above maxCurrent 20 A'],
    ['voltage below minVoltage', 'voltage', 79.9, 'below minVoltage 80 V'],
    ['voltage above maxVoltage', 'voltage', 280.1, 'above maxVoltage 280 V'],
    ['negative power', 'power', -3.5, 'negative power'],
    ['negative current', 'current', -0.01, 'negative current'],
    ['negative voltage', 'voltage', -230, 'negative voltage'],
    ['negative energy', 'energy', -0.001, 'negative energy'],
    ['NaN power', 'power', Number.NaN, 'not a finite number'],
    ['infinite energy', 'energy', Number.POSITIVE_INFINITY, 'not a finite number'],
    // Spikes real plugs reported (docs/protocol.md#what-real-plugs-get-wrong).
    ['tens of MW (softScheck/tplink-smartplug#39)', 'power', 33_554_432, 'above maxPower 4000 W'],
    ['>100 kW on a washer (arteck/ioBroker.hs100#63)', 'power', 104_857.6, 'above maxPower 4000 W'],
    ['>28,000 W on an HS110 fw 1.1.1', 'power', 28_146.3, 'above maxPower 4000 W'],
    ['current spike alongside', 'current', 121.9, 'above maxCurrent 20 A'],
    // WiFi signal: what a radio can report, -120..0 dBm.
    ['rssi 1e300', 'rssi', 1e300, 'outside -120..0 dBm'],
    ['positive rssi', 'rssi', 5, 'outside -120..0 dBm'],
    ['rssi below -120 dBm', 'rssi', -121, 'outside -120..0 dBm'],
    ['NaN rssi', 'rssi', Number.NaN, 'not a finite number'],
  ];
  it.each(cases)('%s', (_what, field, value, reason) => {
    const { values, rejected } = applyBounds({ ...good, [field]: value }, B);
    expect(rejected).toEqual([{ field, value, reason }]);
    const expected: Measurement = { ...good };
    delete expected[field];
    expect(values).toEqual(expected);
  });
});

describe('applyBounds: values kept', () => {
  it.each<[string, Measurement]>([
    ['a normal reading', good],
    ['bounds are inclusive', { power: 4000, current: 20, voltage: 80 }],
    ['upper voltage bound', { voltage: 280 }],
    ['zero power, current and energy (relay off, fresh boot)', { power: 0, current: 0, energy: 0 }],
    ['-0 is not negative', { power: -0 }],
    ['a huge since-boot energy is not a spike here', { energy: 99_999 }],
    ['no emeter: state and rssi only', { state: 'OFF', rssi: -90 }],
    ['nothing at all', {}],
  ])('%s', (_what, input) => {
    expect(applyBounds(input, B)).toEqual({ values: input, rejected: [] });
  });

  it('keeps an rssi within -120..0 dBm, negative by nature, and never touches state', () => {
    for (const rssi of [-120, -60, 0]) {
      const { values, rejected } = applyBounds({ rssi, state: 'OFF', power: -1 }, B);
      expect(values).toEqual({ rssi, state: 'OFF' });
      expect(rejected.map((r) => r.field)).toEqual(['power']);
    }
  });

  it('reports several rejections in field order and keeps what is left', () => {
    const input: Measurement = { ...good, power: 28_000, current: 130, voltage: 0, energy: -1 };
    const { values, rejected } = applyBounds(input, B);
    expect(values).toEqual({ state: 'ON', rssi: -52 });
    expect(rejected.map((r) => r.field)).toEqual(['power', 'current', 'voltage', 'energy']);
  });

  it('does not modify its input', () => {
    const input: Measurement = { ...good, power: 50_000 };
    applyBounds(input, B);
    expect(input.power).toBe(50_000);
  });

  it('follows the configured bounds (a 110 V, 15 A installation)', () => {
    const us: FilterConfig = { maxPower: 1800, maxCurrent: 15, minVoltage: 90, maxVoltage: 140 };
    const { values, rejected } = applyBounds({ power: 1900, voltage: 120, current: 15 }, us);
    expect(values).toEqual({ voltage: 120, current: 15 });
    expect(rejected).toEqual([{ field: 'power', value: 1900, reason: 'above maxPower 1800 W' }]);
  });
});
