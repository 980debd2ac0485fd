import { afterEach, describe, expect, it } from 'vitest';
import type { KasaDevice } from '../../src/kasa/device.js';
import { xorDevice } from '../fakes/xor-device.js';
import type { ProfileName } from '../../src/sim/profiles.js';
import { SimulatedPlug } from '../../src/sim/plug.js';

const SYSINFO = { system: { get_sysinfo: {} } };
const BATCH = { system: { get_sysinfo: {} }, emeter: { get_realtime: {} } };

const sims: SimulatedPlug[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function simulated(profile: ProfileName): Promise<{ sim: SimulatedPlug; plug: KasaDevice }> {
  const sim = new SimulatedPlug({ profile, alias: `first contact ${profile}` });
  sims.push(sim);
  const port = await sim.start();
  return { sim, plug: xorDevice({ host: '127.0.0.1', port }) };
}

describe('KasaDevice first contact', () => {
  it.each(['hs110v1', 'hs110v4', 'kp115'] as const)(
    '%s: sysinfo alone first, then one batched request per poll',
    async (profile) => {
      const { sim, plug } = await simulated(profile);
      expect(plug.emeter).toBeUndefined();
      const first = await plug.poll(2000);
      expect(sim.received).toEqual([SYSINFO, BATCH]);
      expect(plug.emeter).toBe(true);
      expect(first.hasEmeter).toBe(true);
      expect(first.values.power).toBeTypeOf('number');
      expect(first.values.energy).toBeTypeOf('number');
      expect(first.values.voltage).toBeTypeOf('number');
      expect(first.values.current).toBeTypeOf('number');

      await plug.poll(2000);
      await plug.poll(2000);
      expect(sim.received).toEqual([SYSINFO, BATCH, BATCH, BATCH]);
    },
  );

  it('hs100 never gets an emeter request and yields state and rssi without power', async () => {
    const { sim, plug } = await simulated('hs100');
    for (let i = 0; i < 3; i++) {
      const sample = await plug.poll(2000);
      expect(sample.hasEmeter).toBe(false);
      expect(Object.keys(sample.values).sort()).toEqual(['rssi', 'state']);
      expect(sample.values.state).toBe('ON');
      expect(sample.values.rssi).toBe(sim.sysinfo()['rssi']);
      expect(sample.identity.model).toBe('HS100(UK)');
    }
    expect(plug.emeter).toBe(false);
    expect(sim.received).toEqual([SYSINFO, SYSINFO, SYSINFO]);
  });

  it('reports the relay state the plug is in', async () => {
    const { sim, plug } = await simulated('kp115');
    sim.setRelay(false);
    const off = await plug.poll(2000);
    expect(off.values.state).toBe('OFF');
    expect(off.values.power).toBe(0);
    sim.setRelay(true);
    expect((await plug.poll(2000)).values.state).toBe('ON');
  });
});
