import { describe, expect, it } from 'vitest';
import type { FilterConfig } from '../../src/config/types.js';
import { stepTotal, type DeviceTotal } from '../../src/energy/step.js';
import type { DeviceSample, OutletSample } from '../../src/kasa/device.js';
import type { DeviceInfo } from '../../src/reading.js';
import {
  pollReadings,
  type PolledSample,
  type PollReadings,
  type ReadingRules,
  type TotalsPreview,
} from '../../src/collector/readings.js';

/** The schema's defaults (`filter`). */
const BOUNDS: FilterConfig = { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 };
const T = 1_700_000_010;

/** Totals as they stand before the poll; `preview` is pure, like `EnergyTotals.preview`. */
function totals(entries: Record<string, DeviceTotal> = {}): TotalsPreview {
  return { preview: (key, energy, time) => stepTotal(entries[key], energy, time) };
}

const FRIDGE: DeviceInfo = { name: 'fridge', host: '10.0.0.5', port: 9999, node: 5 };
const PLUG: DeviceSample = {
  identity: { alias: 'Fridge', mac: '50:C7:BF:00:00:01', model: 'HS110(EU)' },
  values: { power: 80.5, energy: 1.25, voltage: 231.2, current: 0.41, state: 'ON', rssi: -60 },
  hasEmeter: true,
};

const STRIP: DeviceInfo = { name: 'office', host: '10.0.0.9', port: 9999 };
const outletInfo = (name: string, position: number, node?: number): DeviceInfo => ({
  ...STRIP,
  ...(node === undefined ? {} : { node }),
  outlet: { name, position, id: `ID0${position}` },
});
const KETTLE = outletInfo('kettle', 1, 31);
const TV = outletInfo('tv', 2);
const outlet = (position: number, values: OutletSample['values'], alias?: string) => ({
  id: `ID0${position}`,
  position,
  ...(alias === undefined ? {} : { alias }),
  values,
});
const HS300: DeviceSample = {
  identity: { alias: 'Office strip', mac: '50:C7:BF:00:00:09', model: 'HS300(US)' },
  values: { rssi: -55 },
  hasEmeter: true,
  outlets: [
    outlet(1, { state: 'ON', power: 2000, current: 8.75, voltage: 230, energy: 1.5 }, 'Kettle'),
    outlet(2, { state: 'OFF', power: 0, current: 0, voltage: 232, energy: 0.5 }),
  ],
};

const plug = (sample: DeviceSample = PLUG): PolledSample => ({
  time: T,
  device: FRIDGE,
  sample,
  outlets: [],
  totalsKey: '50:C7:BF:00:00:01',
});
const strip = (sample: DeviceSample = HS300): PolledSample => ({
  time: T,
  device: STRIP,
  sample,
  outlets: [KETTLE, TV],
  totalsKey: '50:C7:BF:00:00:09',
});
const withOutlet = (position: number, values: OutletSample['values']): DeviceSample => ({
  ...HS300,
  outlets: HS300.outlets!.map((o) => (o.position === position ? { ...o, values } : o)),
});

/** Readings as `[device key, values, outletCount]`, the rest checked in the tests below. */
const shape = (out: PollReadings) =>
  out.readings.map((r) => [
    r.device.outlet ? `${r.device.name}/${r.device.outlet.name}` : r.device.name,
    r.values,
    r.outletCount,
  ]);

describe('pollReadings', () => {
  it.each<[string, PolledSample, ReadingRules, unknown[][], unknown[], unknown[]]>([
    [
      'a plug, no rules: its values as sent',
      plug(),
      {},
      [['fridge', PLUG.values, undefined]],
      [],
      [],
    ],
    [
      'a plug with a spike: the value is removed, the rest published',
      plug({ ...PLUG, values: { ...PLUG.values, power: 28_000 } }),
      { filter: BOUNDS },
      [
        [
          'fridge',
          { energy: 1.25, voltage: 231.2, current: 0.41, state: 'ON', rssi: -60 },
          undefined,
        ],
      ],
      [['fridge', 'power', 28_000, 'above maxPower 4000 W']],
      [],
    ],
    [
      'a plug with totals: energy_total from the step',
      plug(),
      {
        filter: BOUNDS,
        totals: totals({ '50:C7:BF:00:00:01': { total: 7, last: 1, updated: 0 } }),
      },
      [['fridge', { ...PLUG.values, energy_total: 7.25 }, undefined]],
      [],
      [['50:C7:BF:00:00:01', 'increase', 7.25]],
    ],
    [
      'a plug whose energy was rejected: no energy_total, no step',
      plug({ ...PLUG, values: { ...PLUG.values, energy: -3 } }),
      { filter: BOUNDS, totals: totals() },
      [
        [
          'fridge',
          { power: 80.5, voltage: 231.2, current: 0.41, state: 'ON', rssi: -60 },
          undefined,
        ],
      ],
      [['fridge', 'energy', -3, 'negative energy']],
      [],
    ],
    [
      'a plug without an emeter: nothing to bound or total',
      plug({ identity: {}, values: { state: 'OFF', rssi: -70 }, hasEmeter: false }),
      { filter: BOUNDS, totals: totals() },
      [['fridge', { state: 'OFF', rssi: -70 }, undefined]],
      [],
      [],
    ],
    [
      'a strip: outlets first (with the strip rssi), then the strip with the sums',
      strip(),
      { filter: BOUNDS, totals: totals() },
      [
        [
          'office/kettle',
          {
            state: 'ON',
            power: 2000,
            current: 8.75,
            voltage: 230,
            energy: 1.5,
            rssi: -55,
            energy_total: 1.5,
          },
          undefined,
        ],
        [
          'office/tv',
          {
            state: 'OFF',
            power: 0,
            current: 0,
            voltage: 232,
            energy: 0.5,
            rssi: -55,
            energy_total: 0.5,
          },
          undefined,
        ],
        [
          'office',
          {
            rssi: -55,
            power: 2000,
            current: 8.75,
            energy: 2,
            energy_total: 2,
            voltage: 231,
            state: 'ON',
          },
          2,
        ],
      ],
      [],
      [
        ['50:C7:BF:00:00:09/1', 'first', 1.5],
        ['50:C7:BF:00:00:09/2', 'first', 0.5],
      ],
    ],
    [
      'a strip with a spike on one outlet: the strip sum leaves that field out',
      strip(withOutlet(2, { state: 'OFF', power: 90_000, current: 0, voltage: 232, energy: 0.5 })),
      { filter: BOUNDS },
      [
        [
          'office/kettle',
          { state: 'ON', power: 2000, current: 8.75, voltage: 230, energy: 1.5, rssi: -55 },
          undefined,
        ],
        [
          'office/tv',
          { state: 'OFF', current: 0, voltage: 232, energy: 0.5, rssi: -55 },
          undefined,
        ],
        ['office', { rssi: -55, current: 8.75, energy: 2, voltage: 231, state: 'ON' }, 2],
      ],
      [['office/tv', 'power', 90_000, 'above maxPower 4000 W']],
      [],
    ],
    [
      'a strip without an emeter: relays only, state ON when any outlet is on',
      strip({
        ...HS300,
        values: {},
        hasEmeter: false,
        outlets: [outlet(1, { state: 'OFF' }), outlet(2, { state: 'ON' })],
      }),
      {},
      [
        ['office/kettle', { state: 'OFF' }, undefined],
        ['office/tv', { state: 'ON' }, undefined],
        ['office', { state: 'ON' }, 2],
      ],
      [],
      [],
    ],
  ])('%s', (_name, poll, rules, readings, rejections, steps) => {
    const frozen = structuredClone(poll);
    const out = pollReadings(poll, rules);
    expect(shape(out)).toEqual(readings);
    expect(
      out.rejections.map((r) => [
        r.device.outlet ? `${r.device.name}/${r.device.outlet.name}` : r.device.name,
        r.field,
        r.value,
        r.reason,
      ]),
    ).toEqual(rejections);
    expect(out.totals.map((t) => [t.key, t.step.kind, t.step.entry.total])).toEqual(steps);
    expect(out.readings.every((r) => r.time === T && r.hasEmeter === poll.sample.hasEmeter)).toBe(
      true,
    );
    expect(poll).toEqual(frozen); // nothing of the input is modified
  });

  it("checks a strip's own rssi once: out of range, it leaves the strip and every outlet", () => {
    const out = pollReadings(strip({ ...HS300, values: { rssi: 1e300 } }), { filter: BOUNDS });
    expect(out.readings.map((r) => r.values.rssi)).toEqual([undefined, undefined, undefined]);
    expect(out.rejections.map((r) => [r.device.name, r.device.outlet, r.field])).toEqual([
      ['office', undefined, 'rssi'],
    ]);
    const kept = pollReadings(strip(), { filter: BOUNDS });
    expect(kept.readings.map((r) => r.values.rssi)).toEqual([-55, -55, -55]);
  });

  it("gives each outlet the strip's identity with its own alias, or none, and its own info", () => {
    const [kettle, tv, own] = pollReadings(strip()).readings;
    expect(kettle?.identity).toEqual({ ...HS300.identity, alias: 'Kettle' });
    expect(tv?.identity).toEqual({ mac: HS300.identity.mac, model: HS300.identity.model });
    expect(own?.identity).toBe(HS300.identity);
    expect(kettle?.device).toBe(KETTLE);
    expect(tv?.device).toBe(TV);
    expect(own?.device).toBe(STRIP);
  });

  it('returns new value objects, never the sample’s own', () => {
    const out = pollReadings(plug());
    expect(out.readings[0]?.values).toEqual(PLUG.values);
    expect(out.readings[0]?.values).not.toBe(PLUG.values);
  });

  it('refuses outlet infos that do not match the sample’s outlets', () => {
    expect(() => pollReadings({ ...strip(), outlets: [KETTLE] })).toThrow(RangeError);
  });
});
