import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { readingMessages } from '../../src/sinks/mqtt/topics.js';
import { configFile, fileError, loadError } from './helpers.js';

/** `devices[].outlets` of a power strip, through the real loader. */

const STRIP = '192.0.2.20';

describe('loadConfig: devices[].outlets', () => {
  it('normalizes valid outlets: the n-th entry is outlet n, empty entries kept', () => {
    const file = configFile({
      devices: [
        {
          host: STRIP,
          name: 'office_strip',
          node: 30,
          control: true,
          outlets: [{ name: 'kettle', node: 31 }, {}, { name: 'tv' }, { node: 32 }],
        },
        { host: '192.0.2.21', name: 'fridge', node: 27 },
      ],
    });
    const [strip, fridge] = loadConfig({ file, env: {} }).devices;
    expect(strip).toEqual({
      host: STRIP,
      port: 9999,
      name: 'office_strip',
      node: 30,
      control: true,
      outlets: [{ name: 'kettle', node: 31 }, {}, { name: 'tv' }, { node: 32 }],
    });
    expect(fridge).not.toHaveProperty('outlets');
  });

  it('accepts outlets given through overrides too', () => {
    const devices = [{ host: STRIP, outlets: [{ name: 'lamp' }] }];
    const config = loadConfig({ env: {}, overrides: { devices } });
    expect(config.devices[0]?.outlets).toEqual([{ name: 'lamp' }]);
  });

  it('accepts the same outlet name on two different strips', () => {
    const devices = [
      { host: STRIP, outlets: [{ name: 'lamp' }] },
      { host: '192.0.2.21', outlets: [{ name: 'lamp' }] },
    ];
    const config = loadConfig({ env: {}, overrides: { devices } });
    expect(config.devices.map((d) => d.outlets?.[0]?.name)).toEqual(['lamp', 'lamp']);
  });

  it('rejects an unknown key in an outlet and suggests the right one', () => {
    const devices = [{ host: STRIP, outlets: [{}, { nmae: 'tv' }] }];
    const line = fileError({ devices }, 'devices[0].outlets[1].nmae', 'did you mean "name"?');
    expect(line).toContain('remove it or fix the spelling');
  });

  it('rejects an outlet name that is not a topic level, saying what is allowed', () => {
    const devices = [{ host: STRIP, outlets: [{ name: 'Kettle/2' }] }];
    fileError({ devices }, 'devices[0].outlets[0].name', 'a-z, 0-9', 'got "Kettle/2"');
  });

  it.each(['power', 'info', 'set', 'availability', 'energy_total', 'state'])(
    'rejects the reserved outlet name %j and says to choose another',
    (name) => {
      const devices = [{ host: STRIP, outlets: [{}, { name }] }];
      const line = fileError(
        { devices },
        'devices[0].outlets[1].name',
        `"${name}" is one of the strip's own topics`,
      );
      expect(line).toContain('choose another name');
    },
  );

  // "bridge" is refused at every topic level (assertDeviceName), so it must never be an
  // outlet's name: the config refuses it and an alias "Bridge" falls back to outlet_<n>.
  it('either rejects outlet name "bridge" or lets its topics be published', () => {
    const devices = [{ host: STRIP, name: 'office_strip', outlets: [{ name: 'bridge' }] }];
    let name: string | undefined;
    try {
      name = loadConfig({ env: {}, overrides: { devices } }).devices[0]?.outlets?.[0]?.name;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('devices[0].outlets[0].name');
      return;
    }
    const device = {
      name: 'office_strip',
      host: STRIP,
      port: 9999,
      outlet: { name: name!, position: 1, id: '00' },
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

  it('rejects a duplicate outlet name within a strip, naming the first', () => {
    const devices = [{ host: STRIP, outlets: [{ name: 'tv' }, {}, { name: 'tv' }] }];
    const line = fileError(
      { devices },
      'devices[0].outlets[2].name',
      '"tv" is already used by outlets[0] of this strip',
    );
    expect(line).toContain('give each outlet its own name');
  });

  it.each([0, 256, 2.5, '31'])('rejects outlet node %j, giving the range', (node) => {
    const devices = [{ host: STRIP, outlets: [{}, { node }] }];
    fileError(
      { devices },
      'devices[0].outlets[1].node',
      'from 1 to 255',
      `got ${JSON.stringify(node)}`,
    );
  });

  it("rejects an outlet node that another device's node uses", () => {
    const devices = [
      { host: '192.0.2.21', node: 27 },
      { host: STRIP, outlets: [{ node: 28 }, { node: 27 }] },
    ];
    const line = fileError(
      { devices },
      'devices[1].outlets[1].node',
      '27 is already used by devices[0].node',
    );
    expect(line).toContain('give each plug and outlet its own emonhub node id');
  });

  it("rejects a device node that an earlier strip's outlet uses", () => {
    const devices = [
      { host: STRIP, outlets: [{ node: 31 }] },
      { host: '192.0.2.21', node: 31 },
    ];
    fileError({ devices }, 'devices[1].node', '31 is already used by devices[0].outlets[0].node');
  });

  it("rejects an outlet node that another outlet's node uses, on the same or another strip", () => {
    const same = [{ host: STRIP, outlets: [{ node: 31 }, {}, { node: 31 }] }];
    fileError(
      { devices: same },
      'devices[0].outlets[2].node',
      '31 is already used by devices[0].outlets[0].node',
    );
    const other = [
      { host: STRIP, outlets: [{ node: 31 }] },
      { host: '192.0.2.21', outlets: [{}, { node: 31 }] },
    ];
    fileError(
      { devices: other },
      'devices[1].outlets[1].node',
      '31 is already used by devices[0].outlets[0].node',
    );
  });

  it("rejects an outlet node equal to its own strip's node", () => {
    const devices = [{ host: STRIP, node: 30, outlets: [{ node: 30 }] }];
    fileError({ devices }, 'devices[0].outlets[0].node', '30 is already used by devices[0].node');
  });

  it('does not report an out-of-range node a second time as a clash', () => {
    const devices = [{ host: STRIP, outlets: [{ node: 300 }, { node: 300 }] }];
    const message = loadError({ file: configFile({ devices }) }, 'got 300');
    expect(message).not.toContain('already used');
  });

  it('rejects outlets that are not an array, or more than 16, with an example', () => {
    fileError(
      { devices: [{ host: STRIP, outlets: { kettle: 31 } }] },
      'devices[0].outlets',
      'must be an array',
      '{"name": "kettle", "node": 31}',
    );
    const many = Array.from({ length: 17 }, () => ({}));
    fileError({ devices: [{ host: STRIP, outlets: many }] }, 'devices[0].outlets', 'at most 16');
  });

  it('rejects an outlet that is not an object', () => {
    fileError(
      { devices: [{ host: STRIP, outlets: [{}, 'tv'] }] },
      'devices[0].outlets[1]',
      'must be an object like',
      'got "tv"',
    );
  });

  it('reports every outlet problem of a file at once', () => {
    const devices = [
      { host: STRIP, node: 30, outlets: [{ name: 'info' }, { node: 30 }, { colour: 'red' }] },
    ];
    const message = loadError({ file: configFile({ devices }) });
    expect(message).toContain('devices[0].outlets[0].name');
    expect(message).toContain('devices[0].outlets[1].node');
    expect(message).toContain('devices[0].outlets[2].colour');
  });
});
