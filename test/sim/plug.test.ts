import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { decrypt, encodeFrame } from '../../src/kasa/transport/xor-cipher.js';
import { LoadModel } from '../../src/sim/load.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { plugStarter, type Json } from './helpers.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { nextLoopTurn, waitFor } from '../fakes/wait.js';

const started = plugStarter();

/** A raw protocol client on one kept-alive connection. */
async function connect(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  let buf = Buffer.alloc(0);
  const replies: Json[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const n = buf.readUInt32BE(0);
      replies.push(JSON.parse(decrypt(buf.subarray(4, 4 + n)).toString('utf8')) as Json);
      buf = buf.subarray(4 + n);
      waiters.splice(0).forEach((w) => w());
    }
  });
  let closed = false;
  socket.on('close', () => (closed = true));
  return {
    socket,
    get closed() {
      return closed;
    },
    write: (...requests: Json[]) =>
      socket.write(Buffer.concat(requests.map((r) => encodeFrame(JSON.stringify(r))))),
    async replies(n: number): Promise<Json[]> {
      while (replies.length < n) await new Promise<void>((r) => waiters.push(r));
      return replies.splice(0, n);
    },
  };
}

const SYSINFO = { system: { get_sysinfo: {} } };
const BATCH = { system: { get_sysinfo: {} }, emeter: { get_realtime: {} } };

describe('SimulatedPlug', () => {
  it('answers several requests on one kept-alive connection, in order, and keeps it open', async () => {
    const plug = await started({ profile: 'kp115', alias: 'Desk' });
    const c = await connect(plug.port);
    c.write(SYSINFO, BATCH);
    const [a, b] = await c.replies(2);
    expect(Object.keys(a as Json)).toEqual(['system']);
    expect(Object.keys(b as Json)).toEqual(['system', 'emeter']);
    // A request split across segments is reassembled.
    const frame = encodeFrame(JSON.stringify(SYSINFO));
    c.socket.write(frame.subarray(0, 3));
    await nextLoopTurn(); // the plug reads the first segment on its own
    c.socket.write(frame.subarray(3));
    const [third] = await c.replies(1);
    expect((third as { system: { get_sysinfo: Json } }).system.get_sysinfo['alias']).toBe('Desk');
    expect(c.closed).toBe(false);
    expect(plug.connections).toBe(1);
    expect(plug.requests).toBe(3);
    expect(plug.received).toEqual([SYSINFO, BATCH, SYSINFO]);
    c.socket.destroy();
    await waitFor(() => plug.connections === 0, 5000, 'the plug to see the close');
  });

  it('mirrors the request shape, with module- and method-level errors', async () => {
    const plug = await started({ profile: 'hs110v4', alias: 'Washer' });
    const c = await connect(plug.port);
    c.write({
      system: { get_sysinfo: {}, get_foo: {} },
      emeter: { get_realtime: {}, get_bar: null },
      nope: {},
    });
    const [reply] = await c.replies(1);
    const r = reply as Record<string, Record<string, Json>>;
    expect(Object.keys(r)).toEqual(['system', 'emeter', 'nope']);
    expect(r['system']?.['get_sysinfo']?.['err_code']).toBe(0);
    expect(r['system']?.['get_foo']).toEqual({ err_code: -2, err_msg: 'member not support' });
    expect(Object.keys(r['emeter']?.['get_realtime'] ?? {}).sort()).toEqual(
      ['current_ma', 'err_code', 'power_mw', 'total_wh', 'voltage_mv'].sort(),
    );
    expect(r['emeter']?.['get_bar']).toEqual({ err_code: -2, err_msg: 'member not support' });
    expect(r['nope']).toEqual({ err_code: -1, err_msg: 'module not support' });
    c.socket.destroy();
  });

  it('hs100 answers an emeter query at module level', async () => {
    const plug = await started({ profile: 'hs100', alias: 'Lamp' });
    const c = await connect(plug.port);
    c.write(BATCH);
    const [reply] = await c.replies(1);
    expect((reply as Json)['emeter']).toEqual({ err_code: -1, err_msg: 'module not support' });
    expect(plug.realtime()).toBeUndefined();
    c.socket.destroy();
  });

  it('legacy profile sends floats in V, A, W, kWh', async () => {
    const plug = await started({ profile: 'hs110v1', alias: 'Fridge', load: 'fridge' });
    const rt = plug.realtime() as Json;
    expect(Object.keys(rt)).toEqual(['current', 'voltage', 'power', 'total', 'err_code']);
    expect(plug.sysinfo()['feature']).toBe('TIM:ENE');
    expect(plug.sysinfo()['deviceId']).toMatch(/^[0-9A-F]{40}$/);
    expect(plug.sysinfo()['mac']).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
  });

  it('set_relay_state switches the relay; off means 0 W but voltage is still measured', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const plug = await started({ profile: 'kp115', alias: 'Desk', now: () => clock.now() });
    const c = await connect(plug.port);
    clock.advance(30_000);
    c.write({ system: { set_relay_state: { state: 0 } } }, BATCH);
    const [set, off] = (await c.replies(2)) as Record<string, Record<string, Json>>[];
    expect(set?.['system']?.['set_relay_state']).toEqual({ err_code: 0 });
    expect(off?.['system']?.['get_sysinfo']?.['relay_state']).toBe(0);
    expect(off?.['system']?.['get_sysinfo']?.['on_time']).toBe(0);
    const rtOff = off?.['emeter']?.['get_realtime'] as Json;
    expect(rtOff['power_mw']).toBe(0);
    expect(rtOff['current_ma']).toBe(0);
    expect(rtOff['voltage_mv']).toBeGreaterThan(220_000);
    c.write({ system: { set_relay_state: { state: 1 } } });
    await c.replies(1);
    clock.advance(12_000);
    c.write(SYSINFO, { system: { set_relay_state: { state: 'on' } } });
    const [on, bad] = (await c.replies(2)) as Record<string, Record<string, Json>>[];
    expect(on?.['system']?.['get_sysinfo']?.['relay_state']).toBe(1);
    expect(on?.['system']?.['get_sysinfo']?.['on_time']).toBe(12);
    expect(bad?.['system']?.['set_relay_state']?.['err_code']).toBe(-3);
    expect(plug.relay).toBe(true);
    c.socket.destroy();
  });

  it('readings move over time and energy accumulates monotonically', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const plug = await started({
      profile: 'hs110v4',
      alias: 'Washer',
      load: 'washer',
      seed: 7,
      now: () => clock.now(),
    });
    const powers = new Set<number>();
    let last = plug.reading().energy;
    for (let i = 0; i < 60; i++) {
      clock.advance(10_000);
      if (i === 30) plug.setRelay(false);
      if (i === 40) plug.setRelay(true);
      const r = plug.reading();
      powers.add(r.power);
      expect(r.energy).toBeGreaterThanOrEqual(last);
      if (i > 30 && i <= 40) expect(r.energy).toBe(last);
      else expect(r.energy).toBeGreaterThan(last);
      expect(r.voltage).toBeGreaterThanOrEqual(226);
      expect(r.voltage).toBeLessThanOrEqual(234);
      last = r.energy;
    }
    expect(powers.size).toBeGreaterThan(20);
  });

  it('energy is the integral of power, and current is P / (V × pf)', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const load = new LoadModel({ seed: 3, baseW: 100, walkW: 0, cycleW: 0, powerFactor: 0.9 }, () =>
      clock.now(),
    );
    clock.advance(3_600_000);
    const r = load.sample();
    expect(r.power).toBeCloseTo(100, 6);
    expect(r.energy).toBeCloseTo(0.1, 6);
    expect(r.current).toBeCloseTo(r.power / (r.voltage * 0.9), 9);
  });

  it('is deterministic: same seed and clock give the same reading however often it is sampled', () => {
    const a = new ManualClock(1_700_000_000_000);
    const b = new ManualClock(1_700_000_000_000);
    const la = new LoadModel({ seed: 42 }, () => a.now());
    const lb = new LoadModel({ seed: 42 }, () => b.now());
    for (let i = 0; i < 100; i++) {
      a.advance(1_500);
      la.sample();
    }
    b.advance(150_000);
    expect(lb.sample()).toEqual(la.sample());
  });

  it('refuse stops listening; clearing it listens again on the same port', async () => {
    const plug = await started({ profile: 'hs100', alias: 'Lamp' });
    const port = plug.port;
    await plug.setFault('refuse', true);
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await plug.clearFaults();
    expect(plug.port).toBe(port);
    const c = await connect(port);
    c.write(SYSINFO);
    await c.replies(1);
    c.socket.destroy();
  });

  it('stop() destroys open connections, is idempotent, and a restart is a reboot on the same port', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const plug = await started({ profile: 'kp115', alias: 'Desk', now: () => clock.now() });
    const port = plug.port;
    const c = await connect(port);
    clock.advance(600_000);
    expect(plug.reading().energy).toBeGreaterThan(0);
    await plug.stop();
    await plug.stop();
    await waitFor(() => c.closed, 5000, 'the client to see the close');
    expect(plug.connections).toBe(0);
    expect(await plug.start()).toBe(port);
    expect(plug.reading().energy).toBe(0);
  });

  it('binds loopback only', async () => {
    const plug = new SimulatedPlug({ profile: 'hs100', alias: 'x', host: '0.0.0.0' });
    await expect(plug.start()).rejects.toThrow(/loopback/);
  });
});
