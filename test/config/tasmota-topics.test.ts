import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { tasmotaTopicClashes } from '../../src/config/tasmota-topics.js';
import { ConfigError } from '../../src/errors.js';
import { configFile, loadError } from './helpers.js';

/** A strip `desk` whose first outlet is `lamp`, and a plug named `desk_lamp`. */
const CLASH = [
  { host: '192.0.2.20', name: 'desk', outlets: [{ name: 'lamp' }, { name: 'fan' }] },
  { host: '192.0.2.21', name: 'desk_lamp' },
];
const TASMOTA = { enabled: true, url: 'mqtt://127.0.0.1:1883', format: 'tasmota' };

describe('Tasmota topics of configured plugs and outlets', () => {
  it("rejects a plug named like a strip outlet's tele/<strip>_<outlet>, naming both entries", () => {
    const message = loadError(
      { overrides: { devices: CLASH, mqtt: TASMOTA } },
      'devices[1].name: devices[1] and devices[0].outlets[0] (outlet 1 of "desk")',
      'tele/desk_lamp/',
      'rename one of them',
    );
    expect(message.split('\n')).toHaveLength(1);
  });

  it('check-config rejects it', async () => {
    const file = configFile({ devices: CLASH, mqtt: TASMOTA });
    const run = main(['check-config', '--config', file]);
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(
      /devices\[1\]\.name: devices\[1\] and devices\[0\]\.outlets\[0\]/,
    );
  });

  it('accepts the same devices with the default layout, or with MQTT off', () => {
    expect(() => loadConfig({ env: {}, overrides: { devices: CLASH } })).not.toThrow();
    const off = { ...TASMOTA, enabled: false };
    expect(() => loadConfig({ env: {}, overrides: { devices: CLASH, mqtt: off } })).not.toThrow();
  });

  it('finds outlets of two strips that meet, and a plug listed after the strip', () => {
    const clashes = tasmotaTopicClashes([
      { host: 'a', port: 9999, name: 'a_b', outlets: [{ name: 'c' }] },
      { host: 'b', port: 9999, name: 'a', outlets: [{}, { name: 'b_c' }] },
      { host: 'c', port: 9999, name: 'a_b_c' },
      { host: 'd', port: 9999, outlets: [{ name: 'x' }] },
    ]);
    expect(clashes.map((c) => c.key)).toEqual(['devices[1].outlets[1].name', 'devices[2].name']);
    expect(clashes[0]?.message).toContain(
      'devices[1].outlets[1] (outlet 2 of "a") and devices[0].outlets[0] (outlet 1 of "a_b")',
    );
    expect(clashes[1]?.message).toContain('devices[2] and devices[0].outlets[0]');
  });

  it('leaves unnamed strips and outlets alone (their names come from aliases at run time)', () => {
    expect(
      tasmotaTopicClashes([
        { host: 'a', port: 9999, outlets: [{ name: 'lamp' }] },
        { host: 'b', port: 9999, name: 'desk', outlets: [{}] },
        { host: 'c', port: 9999, name: 'desk_lamp' },
      ]),
    ).toEqual([]);
  });
});
