import { describe, expect, it } from 'vitest';
import { xorDevice } from '../fakes/xor-device.js';
import { startFleet } from '../../src/sim/fleet.js';

describe('startFleet', () => {
  it('starts the demo fleet on loopback, each plug in its own style, and stops it twice safely', async () => {
    const fleet = await startFleet([
      { profile: 'hs110v1', alias: 'Fridge', load: 'fridge' },
      { profile: 'hs110v4', alias: 'Washing machine', load: 'washer' },
      { profile: 'hs100', alias: 'Lamp', load: 'lamp' },
      { profile: 'kp115', alias: 'Desk', load: 'desk', seed: 5 },
    ]);
    try {
      expect(fleet.members).toHaveLength(4);
      expect(new Set(fleet.members.map((m) => m.port)).size).toBe(4);
      const samples = await Promise.all(
        fleet.members.map((m) => xorDevice({ host: m.host, port: m.port }).poll(2000)),
      );
      expect(samples.map((s) => s.identity.alias)).toEqual([
        'Fridge',
        'Washing machine',
        'Lamp',
        'Desk',
      ]);
      expect(samples.map((s) => s.hasEmeter)).toEqual([true, true, false, true]);
      expect(fleet.members.every((m) => m.host === '127.0.0.1')).toBe(true);
      expect(fleet.members.map((m) => m.plug.realtime())[0]).toHaveProperty('total');
      expect(fleet.members.map((m) => m.plug.realtime())[1]).toHaveProperty('total_wh');
    } finally {
      await fleet.stop();
      await fleet.stop();
    }
  });

  it('stops the plugs it started when one cannot bind', async () => {
    const first = await startFleet([{ profile: 'hs100', alias: 'A' }]);
    const taken = first.members[0]?.port as number;
    try {
      await expect(
        startFleet([
          { profile: 'hs100', alias: 'B' },
          { profile: 'hs100', alias: 'C', port: taken },
        ]),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.stop();
    }
  });
});
