/**
 * The tools with newer plugs (simulated P110 on KLAP, KP125M on AES, on 127.0.0.21-22 sharing a
 * UDP discovery port as real plugs share 20002): `discover` lists them with transport and
 * whether an account is needed, `--config` prints them ready to paste, `poll` reads them and
 * `send` switches them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverCommand } from '../../src/cli/discover.js';
import { pollCommand } from '../../src/cli/poll.js';
import { sendCommand } from '../../src/cli/send.js';
import { SimulatedSmartPlug } from '../../src/sim/smart-plug.js';
import { refusedPort } from '../fakes/refused-port.js';
import { sink } from './helpers.js';

const account = { username: 'owner@example.com', password: 'Right-1' };
let p110: SimulatedSmartPlug;
let kp125m: SimulatedSmartPlug;
let udp = 0;

beforeAll(async () => {
  p110 = new SimulatedSmartPlug({
    profile: 'p110',
    alias: 'Kettle',
    account,
    host: '127.0.0.21',
    discoveryPort: 0,
  });
  await p110.start();
  udp = p110.discoveryPort;
  kp125m = new SimulatedSmartPlug({
    profile: 'kp125m',
    alias: 'Heater',
    account,
    host: '127.0.0.22',
    discoveryPort: udp,
  });
  await kp125m.start();
});
afterAll(async () => {
  await p110.stop();
  await kp125m.stop();
});

async function discoverAs(format: 'table' | 'json' | 'config') {
  const out = sink();
  const err = sink();
  const code = await discoverCommand(
    {
      targets: ['127.0.0.21', '127.0.0.22'],
      port: await refusedPort(),
      smartPort: udp,
      timeoutS: 1.5,
      intervalMs: 100,
      format,
    },
    out.stream,
    err.stream,
  );
  return { code, out: out.text(), err: err.text() };
}

describe('tools with newer plugs', () => {
  it('discover lists them with model, transport and whether an account is needed', async () => {
    const r = await discoverAs('table');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^Newer plugs/);
    expect(lines[1]).toMatch(
      /^HOST\s+MODEL\s+TRANSPORT\s+PORT\s+LOGIN\s+PROTOCOL\s+ACCOUNT\s+MAC$/,
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.21\\s+P110\\(EU\\)\\s+KLAP\\s+${p110.port}\\s+v2\\s+SMART\\s+needed\\s+9C:53:22:`,
      ),
    );
    expect(lines[3]).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.22\\s+KP125M\\(US\\)\\s+AES\\s+${kp125m.port}\\s+v2\\s+SMART\\s+needed\\s+78:8C:B5:`,
      ),
    );
  });

  it('discover --config prints a devices array ready to paste', async () => {
    const r = await discoverAs('config');
    const devices = JSON.parse(r.out) as { host: string; name: string }[];
    expect(devices.map((d) => d.host)).toEqual(['127.0.0.21', '127.0.0.22']);
    for (const d of devices) expect(d.name).toMatch(/^[0-9a-f]{12}$/);
  });

  it('poll reads a KLAP and an AES plug found by discovery', async () => {
    for (const plug of [p110, kp125m]) {
      const out = sink();
      const err = sink();
      const code = await pollCommand(
        `${plug.host}:${await refusedPort(plug.host)}`,
        5,
        out.stream,
        err.stream,
        undefined,
        {
          account,
          discoveryPort: udp,
        },
      );
      expect(err.text()).toBe('');
      expect(code).toBe(0);
      const reading = JSON.parse(out.text()) as Record<string, unknown>;
      expect(reading).toMatchObject({
        model: plug.profile.model,
        transport: plug.profile.transport,
        protocol: 'smart',
        state: 'ON',
      });
      expect(reading['power']).toBeGreaterThan(0);
    }
  });

  it('poll with a wrong account exits 1 with PLUG_AUTH naming the flags', async () => {
    const err = sink();
    const code = await pollCommand(
      `${p110.host}:${p110.port}`,
      5,
      sink().stream,
      err.stream,
      undefined,
      {
        transport: 'klap',
        account: { ...account, password: 'nope', keys: '--username and --password-file' },
      },
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(/^PLUG_AUTH: .*--username and --password-file/);
  });

  it('send switches a SMART plug with its own method and refuses reboot without --yes', async () => {
    const out = sink();
    const err = sink();
    const target = `${kp125m.host}:${await refusedPort(kp125m.host)}`;
    const opts = { timeoutS: 5, account, discoveryPort: udp };
    expect(await sendCommand(target, { command: 'off' }, opts, out.stream, err.stream)).toBe(0);
    expect(JSON.parse(out.text())).toEqual({ error_code: 0 });
    expect(kp125m.relay).toBe(false);
    expect(await sendCommand(target, { command: 'on' }, opts, sink().stream, sink().stream)).toBe(
      0,
    );
    expect(kp125m.relay).toBe(true);
    const refused = sink();
    expect(
      await sendCommand(target, { command: 'reboot' }, opts, sink().stream, refused.stream),
    ).toBe(2);
    expect(refused.text()).toMatch(/refusing without --yes/);
    const info = sink();
    expect(
      await sendCommand(
        target,
        { json: '{"method":"get_device_info"}' },
        opts,
        info.stream,
        sink().stream,
      ),
    ).toBe(0);
    expect(JSON.parse(info.text())).toMatchObject({ error_code: 0, result: { model: 'KP125M' } });
  });
});
