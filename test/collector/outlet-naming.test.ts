import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../src/config/types.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import { NAME_PATTERN, RESERVED_OUTLET_NAMES } from '../../src/reading.js';
import { outletName } from '../../src/collector/naming.js';
import type { OutletSample, KasaDevice } from '../../src/kasa/device.js';
import type { OutletInfo } from '../../src/reading.js';
import { readingMessages } from '../../src/sinks/mqtt/topics.js';

/** How a power strip's outlets get their topic names (`naming.ts`, `device.ts`). */

const NONE: ReadonlySet<string> = new Set();

describe('outletName', () => {
  it('prefers the configured name, then the alias slugified, then outlet_<n>', () => {
    expect(outletName('kettle', 'Big Kettle', 1, NONE)).toBe('kettle');
    expect(outletName(undefined, 'Big Kettle', 1, NONE)).toBe('big_kettle');
    expect(outletName(undefined, 'Küche Lampe', 2, NONE)).toBe('kuche_lampe');
    expect(outletName(undefined, undefined, 3, NONE)).toBe('outlet_3');
    expect(outletName(undefined, '', 4, NONE)).toBe('outlet_4');
    expect(outletName(undefined, '###', 5, NONE)).toBe('outlet_5');
  });

  it.each(['Power', 'INFO', 'set', 'Availability', 'energy total', 'State'])(
    'never takes the reserved alias %j',
    (alias) => {
      expect(outletName(undefined, alias, 2, NONE)).toBe('outlet_2');
    },
  );

  it('falls back when an earlier outlet of the strip took the alias', () => {
    expect(outletName(undefined, 'Lamp', 2, new Set(['lamp']))).toBe('outlet_2');
  });

  it('keeps the fallback unique too', () => {
    expect(outletName(undefined, 'Lamp', 2, new Set(['lamp', 'outlet_2']))).toBe('outlet_2_2');
    expect(outletName(undefined, undefined, 2, new Set(['outlet_2', 'outlet_2_2']))).toBe(
      'outlet_2_2_2',
    );
  });

  // "bridge" is refused at every topic level (assertDeviceName), so it must never be an
  // outlet's name: the config refuses it and an alias "Bridge" falls back to outlet_<n>.
  it('names an outlet aliased "Bridge" so that its topics can be published', () => {
    const name = outletName(undefined, 'Bridge', 1, NONE);
    const device = {
      name: 'office_strip',
      host: '10.0.0.9',
      port: 9999,
      outlet: { name, position: 1, id: '00' },
    };
    const reading = {
      time: 1,
      device,
      identity: {},
      values: { state: 'ON' as const },
      hasEmeter: false,
    };
    expect(() => readingMessages(reading, 'kasa')).not.toThrow();
  });

  it('always yields a topic level that is not reserved', () => {
    for (const alias of ['a/b', '+', '#', 'Set', 'ü', '', 'x'.repeat(100), 'Info ']) {
      const name = outletName(undefined, alias, 7, NONE);
      expect(name).toMatch(NAME_PATTERN);
      expect(RESERVED_OUTLET_NAMES).not.toContain(name);
    }
  });
});

const DEVICE_ID = '8006' + 'CD'.repeat(18);
const child = (n: number): string => `${DEVICE_ID}${String(n).padStart(2, '0')}`;

function outlet(position: number, alias?: string, id = child(position - 1)): OutletSample {
  return { id, position, values: {}, ...(alias === undefined ? {} : { alias }) };
}

/** A PolledDevice whose plug is never used. */
function strip(over: Partial<DeviceConfig> = {}): PolledDevice {
  const config: DeviceConfig = { host: '10.0.0.9', port: 9999, name: 'office_strip', ...over };
  const plug = { target: '10.0.0.9:9999', poll: () => Promise.reject(new Error('unused')) };
  return new PolledDevice(config, 3, plug as unknown as KasaDevice);
}

describe('PolledDevice.settleOutlets', () => {
  it('names outlets: configured first, then alias, reserved or duplicate aliases as outlet_<n>', () => {
    const d = strip({ outlets: [{}, { name: 'kettle' }] });
    const settled = d.settleOutlets([
      outlet(1, 'TV'),
      outlet(2, 'Kitchen kettle'),
      outlet(3, 'Power'),
      outlet(4, 'tv'),
      outlet(5),
    ]);
    expect(settled.map(([o, isNew]) => [o.name, o.position, isNew])).toEqual([
      ['tv', 1, true],
      ['kettle', 2, true],
      ['outlet_3', 3, true],
      ['outlet_4', 4, true],
      ['outlet_5', 5, true],
    ]);
    expect(settled[0]?.[0].id).toBe(child(0));
  });

  it('does not give an alias the name configured for a later outlet', () => {
    const d = strip({ outlets: [{}, { name: 'lamp' }] });
    const names = d.settleOutlets([outlet(1, 'Lamp'), outlet(2, 'Desk')]).map(([o]) => o.name);
    expect(names).toEqual(['outlet_1', 'lamp']);
  });

  it('fixes names once seen: a renamed alias does not move its topics', () => {
    const d = strip();
    d.settleOutlets([outlet(1, 'Kettle'), outlet(2, 'TV')]);
    const again = d.settleOutlets([outlet(1, 'Tea Maker'), outlet(2, 'Television')]);
    expect(again.map(([o, isNew]) => [o.name, isNew])).toEqual([
      ['kettle', false],
      ['tv', false],
    ]);
  });

  it('keeps names unique when an alias is renamed to an existing outlet name', () => {
    const d = strip();
    d.settleOutlets([outlet(1, 'Kettle')]);
    // A second outlet now shows up whose alias slugifies to the first one's name.
    const later = d.settleOutlets([outlet(1, 'Kettle'), outlet(2, 'KETTLE')]);
    expect(later.map(([o, isNew]) => [o.name, isNew])).toEqual([
      ['kettle', false],
      ['outlet_2', true],
    ]);
  });

  it('remembers the current outlets, in position order; none for a plain plug', () => {
    const d = strip();
    expect(d.outlets).toEqual([]);
    d.settleOutlets([outlet(1, 'A'), outlet(2, 'B')]);
    expect(d.outlets.map((o) => o.name)).toEqual(['a', 'b']);
    d.settleOutlets([outlet(1, 'A')]);
    expect(d.outlets.map((o) => o.name)).toEqual(['a']);
  });
});

/** The outlet infos of a settleOutlets result (tests know how many there are). */
const infos = (settled: [OutletInfo, boolean][]): OutletInfo[] => settled.map(([o]) => o);

describe('PolledDevice.outletInfo', () => {
  it("carries the outlet's node, never the strip's, and the strip's name, address and control", () => {
    const d = strip({ node: 30, control: true, outlets: [{ name: 'kettle', node: 31 }, {}] });
    const [kettle, second] = infos(d.settleOutlets([outlet(1, 'K'), outlet(2, 'TV')]));
    expect(d.outletInfo(kettle!)).toEqual({
      name: 'office_strip',
      host: '10.0.0.9',
      port: 9999,
      node: 31,
      control: true,
      outlet: { name: 'kettle', position: 1, id: child(0) },
    });
    const info = d.outletInfo(second!);
    expect(info).not.toHaveProperty('node');
    expect(info.outlet).toEqual({ name: 'tv', position: 2, id: child(1) });
    // The strip itself keeps its own node.
    expect(d.info.node).toBe(30);
    expect(d.info).not.toHaveProperty('outlet');
  });

  it('leaves control out for an outlet of a strip without control', () => {
    const d = strip({ outlets: [{ node: 40 }] });
    const [first] = infos(d.settleOutlets([outlet(1)]));
    const info = d.outletInfo(first!);
    expect(info).not.toHaveProperty('control');
    expect(info.node).toBe(40);
    expect(info.outlet?.name).toBe('outlet_1');
  });
});
