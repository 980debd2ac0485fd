import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCOVERY_DATAGRAM, discoverCommand } from '../../src/cli/discover.js';
import { runTool } from '../../src/cli/tool-argv.js';
import { decodeDatagram, encodeDatagram } from '../../src/kasa/transport/udp.js';
import { answer } from '../../src/sim/answer.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { sink, toolIo } from './helpers.js';
import { HS300, UNKNOWN_METER, startUdpFleet, type UdpFleet } from './udp-fleet.js';

// Every probe here goes to 127.0.0.x: the command's default target (broadcast) is never used.

/** Runs discovery against the fleet's loopback addresses with a short timeout. */
async function run(fleet: UdpFleet, format: 'table' | 'json' | 'config', verbose = false) {
  const out = sink();
  const err = sink();
  const code = await discoverCommand(
    {
      targets: fleet.hosts,
      port: fleet.port,
      timeoutS: 0.4,
      intervalMs: 60,
      format,
      ...(verbose ? { debug: err.stream } : {}),
    },
    out.stream,
    err.stream,
  );
  return { code, out: out.text(), err: err.text() };
}

describe('discover: four plugs on 127.0.0.1-4, one UDP port', () => {
  let fleet: UdpFleet;
  beforeAll(async () => {
    fleet = await startUdpFleet([
      { plug: new SimulatedPlug({ profile: 'hs110v1', alias: 'Fridge' }) },
      { plug: new SimulatedPlug({ profile: HS300, alias: 'Desk Strip' }) },
      { plug: new SimulatedPlug({ profile: UNKNOWN_METER, alias: 'Küche Kühlschrank' }) },
      { plug: new SimulatedPlug({ profile: 'hs100', alias: 'Lamp' }) },
    ]);
  });
  afterAll(() => fleet.stop());

  it('prints one table row per plug, with the field style and the strip outlets', async () => {
    const r = await run(fleet, 'table');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      [
        'HOST       MODEL      HW   SW                              ALIAS              MAC                EMETER  FIELDS     CHILDREN',
        '127.0.0.1  HS110(EU)  1.0  1.2.6 Build 200727 Rel.143015   Fridge             50:C7:BF:C3:EB:19  yes     legacy     -',
        '127.0.0.2  HS300(US)  1.0  1.0.18 Build 210910 Rel.141202  Desk Strip         1C:61:B4:45:13:21  yes     suffixed   6',
        '127.0.0.3  KP999(EU)  1.0  1.0.18 Build 210910 Rel.141202  Küche Kühlschrank  1C:61:B4:4C:9A:19  yes     suffixed?  -',
        '127.0.0.4  HS100(UK)  1.0  1.2.6 Build 200727 Rel.120812   Lamp               50:C7:BF:B4:E2:08  no      none       -',
        '',
      ].join('\n'),
    );
  });

  it('sends the encrypted sysinfo request, repeated, and lists each sender once', async () => {
    for (const r of fleet.responders) r.received.length = 0;
    await run(fleet, 'table');
    for (const r of fleet.responders)
      expect(r.received).toEqual(Array(3).fill({ system: { get_sysinfo: {} } }));
    // The TCP frame's known vector minus its 4-byte length prefix.
    const frame = Buffer.from('AAAAHdDygfiL/5r31e+UttG0wJ/sleaP4YfoyvCL9ov2', 'base64');
    expect(DISCOVERY_DATAGRAM.equals(frame.subarray(4))).toBe(true);
  });

  it('--json prints an array of objects', async () => {
    const r = await run(fleet, 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([
      {
        host: '127.0.0.1',
        model: 'HS110(EU)',
        hw_ver: '1.0',
        sw_ver: '1.2.6 Build 200727 Rel.143015',
        alias: 'Fridge',
        mac: '50:C7:BF:C3:EB:19',
        deviceId: '1B22D41ED6846396FC2769F9A6C0531BB17698FE',
        emeter: true,
        fields: 'legacy',
        fieldsInferred: false,
      },
      {
        host: '127.0.0.2',
        model: 'HS300(US)',
        hw_ver: '1.0',
        sw_ver: '1.0.18 Build 210910 Rel.141202',
        alias: 'Desk Strip',
        mac: '1C:61:B4:45:13:21',
        deviceId: '7DB80705991CA750720053A7D917C82B554E1F58',
        emeter: true,
        fields: 'suffixed',
        fieldsInferred: false,
        children: 6,
        childAliases: ['Outlet 1', 'Outlet 2', 'Outlet 3', 'Outlet 4', 'Outlet 5', 'Outlet 6'],
      },
      {
        host: '127.0.0.3',
        model: 'KP999(EU)',
        hw_ver: '1.0',
        sw_ver: '1.0.18 Build 210910 Rel.141202',
        alias: 'Küche Kühlschrank',
        mac: '1C:61:B4:4C:9A:19',
        deviceId: '513B8601607D0C096EB5C5CC6106BAE09D226DF9',
        emeter: true,
        fields: 'suffixed',
        fieldsInferred: true,
      },
      {
        host: '127.0.0.4',
        model: 'HS100(UK)',
        hw_ver: '1.0',
        sw_ver: '1.2.6 Build 200727 Rel.120812',
        alias: 'Lamp',
        mac: '50:C7:BF:B4:E2:08',
        deviceId: '83FE98D993E44E4A886D0EA84F9559EFA8AB799E',
        emeter: false,
        fields: 'none',
        fieldsInferred: false,
      },
    ]);
    expect(r.out.startsWith('[\n  {\n    "host": "127.0.0.1",\n')).toBe(true);
  });

  it('--config prints a ready devices array with slugified aliases, a strip with its outlets', async () => {
    const r = await run(fleet, 'config');
    expect(r.code).toBe(0);
    const outlets = [1, 2, 3, 4, 5, 6].map((n) => ({ name: `outlet_${n}` }));
    expect(r.out).toBe(
      `${JSON.stringify(
        [
          { host: '127.0.0.1', name: 'fridge' },
          { host: '127.0.0.2', name: 'desk_strip', outlets },
          { host: '127.0.0.3', name: 'kuche_kuhlschrank' },
          { host: '127.0.0.4', name: 'lamp' },
        ],
        null,
        2,
      )}\n`,
    );
  });

  it('the CLI flags reach the command: --target, --port, --timeout, --config', async () => {
    const io = toolIo();
    const code = await runTool(
      [
        'discover',
        '--target',
        '127.0.0.2',
        '--target',
        '127.0.0.4',
        '--port',
        String(fleet.port),
      ].concat(['--timeout', '0.3', '--config']),
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout())).toEqual([
      {
        host: '127.0.0.2',
        name: 'desk_strip',
        outlets: [1, 2, 3, 4, 5, 6].map((n) => ({ name: `outlet_${n}` })),
      },
      { host: '127.0.0.4', name: 'lamp' },
    ]);
  });
});

describe('discover: replies that are not a plug', () => {
  let fleet: UdpFleet;
  beforeAll(async () => {
    fleet = await startUdpFleet([
      { plug: new SimulatedPlug({ profile: 'hs110v4', alias: 'Plug' }) },
      { plug: new SimulatedPlug({ profile: 'kp115', alias: 'x' }), udp: { mode: 'garbage' } },
      { plug: new SimulatedPlug({ profile: 'kp115', alias: 'y' }), udp: { rawReply: '[1,2]' } },
      {
        plug: new SimulatedPlug({ profile: 'kp115', alias: 'z' }),
        udp: { rawReply: '{"system":{"get_sysinfo":{"err_code":-1,"err_msg":"busy"}}}' },
      },
      { plug: new SimulatedPlug({ profile: 'kp115', alias: 'w' }), udp: { mode: 'silent' } },
    ]);
  });
  afterAll(() => fleet.stop());

  it('are ignored with a debug note, never a crash', async () => {
    const r = await run(fleet, 'config', true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([{ host: '127.0.0.1', name: 'plug' }]);
    const notes = r.err.split('\n').filter(Boolean);
    expect(notes.every((n) => n.startsWith('debug: ignored reply from 127.0.0.'))).toBe(true);
    expect(r.err).toMatch(/127\.0\.0\.2:\d+ \(32 bytes\): reply is not JSON/);
    expect(r.err).toMatch(/127\.0\.0\.3:\d+ \(5 bytes\): reply is JSON but not an object/);
    expect(r.err).toMatch(
      /127\.0\.0\.4:\d+ \(\d+ bytes\): system\.get_sysinfo answered err_code -1/,
    );
    expect(r.err).not.toContain('127.0.0.5');
    // eslint-disable-next-line no-control-regex -- the raw reply's NULs must not reach the terminal
    expect(r.err).not.toMatch(/[\u0000-\u0008]/);
  });

  it('without --verbose the notes are not printed', async () => {
    const r = await run(fleet, 'table');
    expect(r.err).toBe('');
    expect(r.out.split('\n')[1]).toMatch(/^127\.0\.0\.1 {2}HS110\(EU\) {2}4\.0 /);
  });
});

describe('discover: nobody answers', () => {
  let fleet: UdpFleet;
  beforeAll(async () => {
    fleet = await startUdpFleet([
      { plug: new SimulatedPlug({ profile: 'hs100', alias: 'Mute' }), udp: { mode: 'silent' } },
    ]);
  });
  afterAll(() => fleet.stop());

  it('exits 0 and says so on stderr; the JSON forms still print valid JSON', async () => {
    const table = await run(fleet, 'table');
    expect(table).toEqual({ code: 0, out: '', err: 'no plugs answered within 0.4 s\n' });
    const json = await run(fleet, 'json');
    expect(json).toEqual({ code: 0, out: '[]\n', err: 'no plugs answered within 0.4 s\n' });
    expect((await run(fleet, 'config')).out).toBe('[]\n');
  });
});

describe('discover: --config names stay unique', () => {
  let fleet: UdpFleet;
  beforeAll(async () => {
    fleet = await startUdpFleet([
      { plug: new SimulatedPlug({ profile: 'kp115', alias: 'Plug', seed: 1 }) },
      { plug: new SimulatedPlug({ profile: 'kp115', alias: 'Plug', seed: 2 }) },
      { plug: new SimulatedPlug({ profile: 'kp115', alias: 'bridge', seed: 3 }) },
    ]);
  });
  afterAll(() => fleet.stop());

  it('a repeated alias gets _2; a reserved one falls back to the MAC', async () => {
    const r = await run(fleet, 'config');
    const devices = JSON.parse(r.out) as { host: string; name: string }[];
    expect(devices.map((d) => d.name).slice(0, 2)).toEqual(['plug', 'plug_2']);
    expect(devices[2]?.name).toMatch(/^1c61b4[0-9a-f]{6}$/);
  });
});

/**
 * Several plugs answering from one address and port (a simulator, a NAT): one UDP socket on
 * 127.0.0.1 that answers every request once per plug.
 */
async function startGateway(
  plugs: SimulatedPlug[],
): Promise<{ port: number; stop(): Promise<void> }> {
  for (const p of plugs) await p.start();
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const request = JSON.parse(decodeDatagram(msg).toString('utf8')) as unknown;
    for (const p of plugs) {
      const reply = JSON.stringify(answer(request, p.deviceView()));
      socket.send(encodeDatagram(reply), rinfo.port, rinfo.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, resolve));
  return {
    port: socket.address().port,
    async stop() {
      await new Promise<void>((r) => socket.close(() => r()));
      for (const p of plugs) await p.stop();
    },
  };
}

describe('discover: two plugs behind one address', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    gateway = await startGateway([
      new SimulatedPlug({ profile: 'kp115', alias: 'Kettle', seed: 1 }),
      new SimulatedPlug({ profile: HS300, alias: 'Office Strip', seed: 2 }),
    ]);
  });
  afterAll(() => gateway.stop());

  const discoverIt = async (format: 'json' | 'config') => {
    const out = sink();
    const err = sink();
    const code = await discoverCommand(
      { targets: ['127.0.0.1'], port: gateway.port, timeoutS: 0.4, intervalMs: 60, format },
      out.stream,
      err.stream,
    );
    return { code, out: out.text(), err: err.text() };
  };

  it('lists both, told apart by MAC, and says each needs its port', async () => {
    const r = await discoverIt('json');
    expect(r.code).toBe(0);
    const plugs = JSON.parse(r.out) as { host: string; alias: string; mac: string }[];
    expect(plugs.map((p) => [p.host, p.alias]).sort()).toEqual([
      ['127.0.0.1', 'Kettle'],
      ['127.0.0.1', 'Office Strip'],
    ]);
    expect(new Set(plugs.map((p) => p.mac)).size).toBe(2);
    expect(r.err).toBe(
      'note: several plugs answered from 127.0.0.1; discovery cannot see their TCP ports, ' +
        'so give each its "port" in the config\n',
    );
  });

  it('--config prints both, the strip with its outlets skeleton', async () => {
    const r = await discoverIt('config');
    const devices = JSON.parse(r.out) as { host: string; name: string; outlets?: unknown }[];
    expect(devices.map((d) => d.name).sort()).toEqual(['kettle', 'office_strip']);
    expect(devices.find((d) => d.name === 'office_strip')?.outlets).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => ({ name: `outlet_${n}` })),
    );
    expect(devices.find((d) => d.name === 'kettle')).not.toHaveProperty('outlets');
  });
});
