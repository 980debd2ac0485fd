import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, sendCommand, type SendRequest } from '../../src/cli/send.js';
import { runTool } from '../../src/cli/tool-argv.js';
import { ConfigError } from '../../src/errors.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { sink, toolIo } from './helpers.js';

/** The classic client's table (softScheck's `tplink_smartplug.py`), plus `energy`. */
const SEED_COMMANDS: Record<string, string> = {
  info: '{"system":{"get_sysinfo":{}}}',
  on: '{"system":{"set_relay_state":{"state":1}}}',
  off: '{"system":{"set_relay_state":{"state":0}}}',
  cloudinfo: '{"cnCloud":{"get_info":{}}}',
  wlanscan: '{"netif":{"get_scaninfo":{"refresh":0}}}',
  time: '{"time":{"get_time":{}}}',
  schedule: '{"schedule":{"get_rules":{}}}',
  countdown: '{"count_down":{"get_rules":{}}}',
  antitheft: '{"anti_theft":{"get_rules":{}}}',
  reboot: '{"system":{"reboot":{"delay":1}}}',
  reset: '{"system":{"reset":{"delay":1}}}',
  energy: '{"emeter":{"get_realtime":{}}}',
};

describe('send', () => {
  let plug: SimulatedPlug;
  let target: string;

  async function send(req: SendRequest, opts: { yes?: boolean; timeoutS?: number } = {}) {
    const out = sink();
    const err = sink();
    const code = await sendCommand(
      target,
      req,
      { yes: opts.yes, timeoutS: opts.timeoutS ?? 2 },
      out.stream,
      err.stream,
    );
    return { code, out: out.text(), err: err.text() };
  }
  /** The last request the simulator received, re-serialized (key order is preserved). */
  const lastRequest = () => JSON.stringify(plug.received.at(-1));

  beforeAll(async () => {
    plug = new SimulatedPlug({ profile: 'hs110v1', alias: 'Heater' });
    await plug.start();
    target = `127.0.0.1:${plug.port}`;
  });
  afterAll(() => plug.stop());
  afterEach(() => plug.clearFaults());

  it('keeps the classic client commands, each JSON exactly as in tplink_smartplug.py', () => {
    expect(Object.fromEntries(Object.entries(COMMANDS).map(([k, v]) => [k, v.request]))).toEqual(
      SEED_COMMANDS,
    );
    expect(Object.keys(COMMANDS)).toEqual(Object.keys(SEED_COMMANDS));
  });

  it.each(Object.keys(SEED_COMMANDS))('%s: its exact request reaches the plug', async (name) => {
    const r = await send({ command: name }, { yes: true });
    expect(lastRequest()).toBe(SEED_COMMANDS[name]);
    // The simulator knows system, emeter and time; other modules answer err_code -1,
    // reboot/reset -2.
    const known = ['info', 'on', 'off', 'energy', 'time'].includes(name);
    expect(r.code).toBe(known ? 0 : 1);
    expect(r.out).toBe(`${JSON.stringify(JSON.parse(r.out), null, 2)}\n`);
    if (!known)
      expect(r.err).toMatch(
        /^PLUG_DEVICE_ERROR: 127\.0\.0\.1:\d+: \w+(\.\w+)? answered err_code -[12] "(module|member) not support"\n$/,
      );
  });

  it('on and off switch the relay and print the reply', async () => {
    expect((await send({ command: 'off' })).out).toBe(
      '{\n  "system": {\n    "set_relay_state": {\n      "err_code": 0\n    }\n  }\n}\n',
    );
    expect(plug.relay).toBe(false);
    expect((await send({ command: 'on' })).code).toBe(0);
    expect(plug.relay).toBe(true);
  });

  it('info and energy print the plug reply pretty-printed', async () => {
    const info = JSON.parse((await send({ command: 'info' })).out) as {
      system: { get_sysinfo: { alias: string } };
    };
    expect(info.system.get_sysinfo.alias).toBe('Heater');
    const energy = JSON.parse((await send({ command: 'energy' })).out) as {
      emeter: { get_realtime: Record<string, number> };
    };
    expect(Object.keys(energy.emeter.get_realtime).sort()).toEqual([
      'current',
      'err_code',
      'power',
      'total',
      'voltage',
    ]);
  });

  it.each(['reboot', 'reset'])(
    '%s without --yes refuses, says what it would do, sends nothing',
    async (name) => {
      const before = plug.received.length;
      const r = await send({ command: name });
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain('refusing without --yes');
      expect(r.err).toContain(name === 'reset' ? 'factory-reset' : 'reboot the plug');
      expect(r.err).toContain(SEED_COMMANDS[name]);
      expect(plug.received.length).toBe(before);
    },
  );

  it('--json sends the raw object as given', async () => {
    const raw = '{"system":{"get_sysinfo":{}},"emeter":{"get_realtime":{}}}';
    const r = await send({ json: raw });
    expect(r.code).toBe(0);
    expect(lastRequest()).toBe(raw);
    expect(Object.keys(JSON.parse(r.out) as object)).toEqual(['system', 'emeter']);
  });

  it('--json must be a JSON object; a raw reset needs --yes too', async () => {
    const before = plug.received.length;
    await expect(send({ json: '{nope' })).rejects.toThrow(/--json is not valid JSON/);
    await expect(send({ json: '[1,2]' })).rejects.toThrow(/must be a JSON object/);
    await expect(send({ json: '"on"' })).rejects.toThrow(ConfigError);
    expect((await send({ json: '{"system":{"reset":{"delay":1}}}' })).code).toBe(2);
    expect(plug.received.length).toBe(before);
  });

  it('an unknown command is a usage error listing the known ones', async () => {
    await expect(send({ command: 'toString' })).rejects.toThrow(
      /unknown command "toString"; one of: info, on, off/,
    );
  });

  it.each([
    ['hang', true, 'PLUG_TIMEOUT', /no complete reply within (300|29\d) ms/],
    ['rawReply', 'not json', 'PLUG_BAD_JSON', /reply is not JSON/],
    ['rawReply', '[1,2]', 'PLUG_BAD_JSON', /reply is JSON but not an object/],
    ['closeEarly', true, 'PLUG_CLOSED', /closed the connection before the reply header/],
    ['badLength', 0, 'PLUG_BAD_LENGTH', /announces 0 bytes/],
  ] as const)('fault %s=%s exits 1 with %s', async (fault, value, code, message) => {
    await plug.setFault(fault, value as never);
    const r = await send({ command: 'info' }, { timeoutS: 0.3 });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.startsWith(`${code}: 127.0.0.1:${plug.port}: `)).toBe(true);
    expect(r.err).toMatch(message);
  });

  it('a refused connection exits 1 with PLUG_REFUSED', async () => {
    await plug.setFault('refuse', true);
    const r = await send({ command: 'info' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^PLUG_REFUSED: 127\.0\.0\.1:\d+: connection refused/);
  });

  it('the CLI form: send HOST:PORT COMMAND, --json, --yes, --timeout', async () => {
    const io = toolIo();
    expect(await runTool(['send', target, 'off', '--timeout', '1'], io)).toBe(0);
    expect(plug.relay).toBe(false);
    const raw = toolIo();
    expect(await runTool(['send', target, '--json', SEED_COMMANDS['on'] as string], raw)).toBe(0);
    expect(plug.relay).toBe(true);
    const yes = toolIo();
    expect(await runTool(['send', target, 'reboot', '--yes'], yes)).toBe(1);
    expect(lastRequest()).toBe(SEED_COMMANDS['reboot']);
    await expect(runTool(['send', target], toolIo())).rejects.toThrow(/exactly one/);
    await expect(runTool(['send', target, 'on', '--json', '{}'], toolIo())).rejects.toThrow(
      /exactly one/,
    );
    await expect(runTool(['send', target, 'on', '--timeout', '0'], toolIo())).rejects.toThrow(
      /--timeout "0"/,
    );
    await expect(runTool(['send', 'host:99999', 'on'], toolIo())).rejects.toThrow(ConfigError);
  });
});
