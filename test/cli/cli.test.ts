import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { ConfigError } from '../../src/errors.js';
import { SimulatedPlug } from '../../src/sim/plug.js';

/** Captures what a command writes to stdout and stderr. */
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((c) => (out.push(String(c)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((c) => (err.push(String(c)), true));
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    restore: () => {
      o.mockRestore();
      e.mockRestore();
    },
  };
}

describe('kasa-collector CLI', () => {
  let plug: SimulatedPlug;
  let dir: string;
  let io: ReturnType<typeof capture> | undefined;

  beforeAll(async () => {
    plug = new SimulatedPlug({ profile: 'hs110v4', alias: 'Kettle' });
    await plug.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-cli-'));
  });
  afterAll(async () => {
    await plug.stop();
  });
  afterEach(() => {
    io?.restore();
    io = undefined;
  });

  it('--version prints the package version', async () => {
    io = capture();
    expect(await main(['--version'])).toBe(0);
    expect(io.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('--help lists every command', async () => {
    io = capture();
    expect(await main(['--help'])).toBe(0);
    for (const cmd of ['run', 'poll', 'check-config', 'demo'])
      expect(io.out()).toContain(`kasa-collector ${cmd}`);
  });

  it('poll prints the normalized reading as JSON', async () => {
    io = capture();
    expect(await main(['poll', `127.0.0.1:${plug.port}`])).toBe(0);
    const r = JSON.parse(io.out()) as Record<string, unknown>;
    const truth = plug.reading();
    expect(r).toMatchObject({
      host: '127.0.0.1',
      port: plug.port,
      alias: 'Kettle',
      emeter: true,
      state: 'ON',
    });
    expect(r['voltage']).toBeCloseTo(truth.voltage, 0);
    expect(typeof r['energy']).toBe('number');
  });

  it('poll exits 1 with the classified error when the plug does not answer', async () => {
    await plug.setFault('hang', true);
    io = capture();
    expect(await main(['poll', `127.0.0.1:${plug.port}`, '--timeout', '0.3'])).toBe(1);
    expect(io.err()).toMatch(/^PLUG_TIMEOUT: 127\.0\.0\.1:\d+: no complete reply within 300 ms/);
    await plug.setFault('hang', undefined);
  });

  it('check-config prints the effective config with the password redacted', async () => {
    const file = path.join(dir, 'ok.json');
    await writeFile(
      file,
      JSON.stringify({ devices: [{ host: '127.0.0.1' }], mqtt: { password: 'hunter2-secret' } }),
    );
    io = capture();
    expect(await main(['check-config', '--config', file])).toBe(0);
    const printed = JSON.parse(io.out()) as {
      mqtt: { password: string };
      devices: { port: number }[];
    };
    expect(printed.mqtt.password).toBe('[redacted]');
    expect(printed.devices[0]?.port).toBe(9999);
    expect(io.out() + io.err()).not.toContain('hunter2-secret');
  });

  it('check-config warns when the emonhub nodes need more frames a second than emonhub takes', async () => {
    const file = path.join(dir, 'nodes.json');
    const devices = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ host: `10.0.0.${i + 1}`, node: i + 1 }));
    const config = (n: number, interval: number) =>
      JSON.stringify({ poll: { interval }, devices: devices(n), emonhub: { enabled: true } });
    await writeFile(file, config(120, 10));
    io = capture();
    expect(await main(['check-config', '--config', file])).toBe(0);
    expect(io.err()).toContain(
      'warning: emonhub: 120 nodes every 10 s need 12.0 frames/s, more than the 10/s',
    );
    // 100 nodes every 10 s, or 120 every 15 s, are within what emonhub takes.
    for (const [n, interval] of [
      [100, 10],
      [120, 15],
    ] as const) {
      await writeFile(file, config(n, interval));
      io = capture();
      expect(await main(['check-config', '--config', file])).toBe(0);
      expect(io.err()).not.toContain('warning');
    }
  });

  it('check-config rejects a bad config with a ConfigError naming the file and key', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ poll: { intervall: 5 } }));
    await expect(main(['check-config', '--config', file])).rejects.toThrow(ConfigError);
    await expect(main(['check-config', '--config', file])).rejects.toThrow(
      /bad\.json.*poll\.intervall/,
    );
  });

  it('check-config resolves host names and refuses a second entry for one address', async () => {
    const file = path.join(dir, 'twice.json');
    // localhost resolves (from /etc/hosts) to 127.0.0.1, ::1 or both: either way it is the
    // address of one of the first two entries.
    const devices = [{ host: '127.0.0.1' }, { host: '::1' }, { host: 'localhost' }];
    await writeFile(file, JSON.stringify({ devices }));
    await expect(main(['check-config', '--config', file])).rejects.toThrow(
      /twice\.json: devices\[2\]\.host: .*\("localhost" resolves to it\) is the address of devices\[[01]\]/,
    );
  });

  it('unknown commands and malformed addresses are usage errors', async () => {
    await expect(main(['frobnicate'])).rejects.toThrow(ConfigError);
    await expect(main(['poll', 'host:99999'])).rejects.toThrow(ConfigError);
    await expect(main(['poll'])).rejects.toThrow(ConfigError);
  });
});

/** The built executable, as a user or systemd runs it (`npm test` builds `dist/` first). */
const BIN = path.resolve(import.meta.dirname, '..', '..', 'dist', 'bin.js');

describe.skipIf(!existsSync(BIN))('kasa-collector check-config: the poll schedule', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-cli-poll-'));
  });

  /** Runs `check-config` on `content` with a clean environment; returns exit code and output. */
  const checkConfig = async (name: string, content: object) => {
    const file = path.join(dir, name);
    await writeFile(file, JSON.stringify(content));
    const env = { PATH: process.env['PATH'] ?? '' };
    const r = spawnSync(process.execPath, [BIN, 'check-config', '--config', file], {
      env,
      encoding: 'utf8',
    });
    return { code: r.status, out: r.stdout, err: r.stderr, file };
  };

  it('exits 2 on an interval off the grid, naming poll.interval and the nearest valid values', async () => {
    const r = await checkConfig('seven.json', { poll: { interval: 7 } });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${r.file}: poll.interval: must divide 60 s`);
    expect(r.err).toContain('got 7: use 6 or 10, or poll.cron for any other schedule');
  });

  it('exits 2 on a pattern croner rejects, naming poll.cron', async () => {
    const r = await checkConfig('cron.json', { poll: { cron: '*/15 * * *' } });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${r.file}: poll.cron: is not a cron pattern croner accepts`);
  });

  it('exits 0 with a pattern and a time zone, and prints them', async () => {
    const poll = { cron: '0 */15 * * * *', timezone: 'Europe/Berlin', timeout: 5 };
    const r = await checkConfig('quarter.json', { poll });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { poll: object }).poll).toMatchObject(poll);
  });
});
