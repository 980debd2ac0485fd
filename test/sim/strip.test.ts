/**
 * The simulator as a power strip (built-in `hs300`, `kp303`): sysinfo with `children[]`, outlets
 * addressed by `"context":{"child_ids":[id]}` over real TCP (docs/protocol.md#power-strips), and
 * the simulator's own choices for requests without or with a bad context.
 */
import { describe, expect, it } from 'vitest';
import { startFleet } from '../../src/sim/fleet.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { ask, plugStarter, realtimeOf, sysinfoOf, type Json } from './helpers.js';
import { ManualClock } from '../fakes/manual-clock.js';

const started = plugStarter();

const childrenOf = (reply: Json): Json[] => sysinfoOf(reply)['children'] as Json[];
const statesOf = (reply: Json): unknown[] => childrenOf(reply).map((c) => c['state']);

const SYSINFO = { system: { get_sysinfo: {} } };
const REALTIME = { emeter: { get_realtime: {} } };
const withContext = (id: string, request: Json): Json => ({
  context: { child_ids: [id] },
  ...request,
});
const relay = (state: 0 | 1): Json => ({ system: { set_relay_state: { state } } });
const ENTRY_NOT_EXIST = { err_code: -14, err_msg: 'entry not exist' };
const MODULE_NOT_SUPPORT = { err_code: -1, err_msg: 'module not support' };

describe('built-in strip profiles', () => {
  it('hs300 sysinfo: child_num, six children with deviceId+00..05 ids, no relay_state', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const plug = await started({ profile: 'hs300', alias: 'Rack', now: () => clock.now() });
    const si = sysinfoOf(await ask(plug, SYSINFO));
    expect(si).toMatchObject({
      model: 'HS300(US)',
      hw_ver: '2.0',
      feature: 'TIM:ENE',
      alias: 'Rack',
      child_num: 6,
      err_code: 0,
    });
    expect(si).not.toHaveProperty('relay_state');
    const deviceId = si['deviceId'] as string;
    expect(deviceId).toMatch(/^[0-9A-F]{40}$/);
    const children = si['children'] as Json[];
    expect(children.map((c) => c['id'])).toEqual(
      ['00', '01', '02', '03', '04', '05'].map((n) => deviceId + n),
    );
    expect(plug.outletIds()).toEqual(children.map((c) => c['id']));
    expect(children[0]).toEqual({
      id: `${deviceId}00`,
      state: 1,
      alias: 'Outlet 1',
      on_time: 0,
      next_action: { type: -1 },
    });
    expect(children.map((c) => c['alias'])).toEqual([1, 2, 3, 4, 5, 6].map((n) => `Outlet ${n}`));
    expect(plug.relay).toBe(true);
  });

  it('hs300 answers each outlet its own reading, suffixed with slot_id, without echoing context', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const plug = await started({ profile: 'hs300', alias: 'Rack', now: () => clock.now() });
    clock.advance(60_000);
    const powers = new Set<unknown>();
    for (const [i, id] of plug.outletIds().entries()) {
      const reply = await ask(plug, withContext(id, REALTIME));
      expect(Object.keys(reply)).toEqual(['emeter']);
      const rt = realtimeOf(reply);
      expect(Object.keys(rt).sort()).toEqual(
        ['current_ma', 'err_code', 'power_mw', 'slot_id', 'total_wh', 'voltage_mv'].sort(),
      );
      // Expected from the outlet's own load model, in mV, mA, mW, Wh.
      const r = plug.outletReading(i);
      expect(rt).toEqual({
        voltage_mv: Math.round(r.voltage * 1000),
        current_ma: Math.round(r.current * 1000),
        power_mw: Math.round(r.power * 1000),
        total_wh: Math.floor(r.energy * 1000),
        slot_id: i,
        err_code: 0,
      });
      // A US strip: mains around 120 V.
      expect(r.voltage).toBeGreaterThan(110);
      expect(r.voltage).toBeLessThan(130);
      powers.add(rt['power_mw']);
    }
    expect(powers.size).toBe(6);
  });

  it('set_relay_state with a context switches only that outlet', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const plug = await started({ profile: 'hs300', alias: 'Rack', now: () => clock.now() });
    const ids = plug.outletIds();
    clock.advance(7_000);
    const set = await ask(plug, withContext(ids[2] as string, relay(0)));
    expect(set).toEqual({ system: { set_relay_state: { err_code: 0 } } });
    expect(plug.outletRelay(2)).toBe(false);
    const after = await ask(plug, SYSINFO);
    expect(statesOf(after)).toEqual([1, 1, 0, 1, 1, 1]);
    expect(childrenOf(after).map((c) => c['on_time'])).toEqual([7, 7, 0, 7, 7, 7]);
    expect(realtimeOf(await ask(plug, withContext(ids[2] as string, REALTIME)))).toMatchObject({
      power_mw: 0,
      current_ma: 0,
      slot_id: 2,
    });
    expect(
      realtimeOf(await ask(plug, withContext(ids[1] as string, REALTIME)))['power_mw'],
    ).toBeGreaterThan(0);
    // Back on: its on_time restarts, the others' go on counting.
    await ask(plug, withContext(ids[2] as string, relay(1)));
    clock.advance(3_000);
    const again = await ask(plug, SYSINFO);
    expect(childrenOf(again).map((c) => c['on_time'])).toEqual([10, 10, 3, 10, 10, 10]);
    // Several ids in one context: each of them is switched.
    await ask(plug, { context: { child_ids: [ids[0], ids[5]] }, ...relay(0) });
    expect(statesOf(await ask(plug, SYSINFO))).toEqual([0, 1, 1, 1, 1, 0]);
  });

  it('an unknown child id answers err_code -14 at module level and changes nothing', async () => {
    const plug = await started({ profile: 'hs300', alias: 'Rack' });
    const before = statesOf(await ask(plug, SYSINFO));
    const reply = await ask(
      plug,
      withContext('NOT-A-CHILD', { system: { get_sysinfo: {}, set_relay_state: { state: 0 } } }),
    );
    expect(reply).toEqual({ system: ENTRY_NOT_EXIST });
    expect(await ask(plug, withContext('NOT-A-CHILD', REALTIME))).toEqual({
      emeter: ENTRY_NOT_EXIST,
    });
    // One known and one unknown id: the whole request is refused.
    const ids = plug.outletIds();
    expect(await ask(plug, { context: { child_ids: [ids[0], 'NOPE'] }, ...relay(0) })).toEqual({
      system: ENTRY_NOT_EXIST,
    });
    expect(statesOf(await ask(plug, SYSINFO))).toEqual(before);
  });

  it('without a context: emeter answers outlet 1, set_relay_state switches every outlet; get_sysinfo ignores a context', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const plug = await started({ profile: 'hs300', alias: 'Rack', now: () => clock.now() });
    const ids = plug.outletIds();
    clock.advance(30_000);
    const plain = realtimeOf(await ask(plug, REALTIME));
    expect(plain['slot_id']).toBe(0);
    expect(plain).toEqual(realtimeOf(await ask(plug, withContext(ids[0] as string, REALTIME))));
    expect(plain).not.toEqual(realtimeOf(await ask(plug, withContext(ids[1] as string, REALTIME))));
    expect(plug.realtime()).toEqual(plain);

    expect(await ask(plug, withContext(ids[4] as string, SYSINFO))).toEqual(
      await ask(plug, SYSINFO),
    );

    expect(await ask(plug, relay(0))).toEqual({ system: { set_relay_state: { err_code: 0 } } });
    expect(statesOf(await ask(plug, SYSINFO))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(plug.relay).toBe(false);
    plug.setOutletRelay(3, true);
    expect(plug.relay).toBe(true);
    expect(statesOf(await ask(plug, SYSINFO))).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('content faults apply to an outlet reply too', async () => {
    const plug = await started({ profile: 'hs300', alias: 'Rack' });
    const id = plug.outletIds()[1] as string;
    await plug.setFault('emeterFields', { power_mw: null });
    expect(realtimeOf(await ask(plug, withContext(id, REALTIME)))).toMatchObject({
      power_mw: null,
      slot_id: 1,
    });
    await plug.setFaults({ emeterFields: undefined, errCode: { level: 'method', code: -7 } });
    expect(realtimeOf(await ask(plug, withContext(id, REALTIME)))).toEqual({
      err_code: -7,
      err_msg: 'module not support',
    });
  });

  it('kp303: three outlets, no emeter (module not support, with or without context), relays per outlet', async () => {
    const plug = await started({ profile: 'kp303', alias: 'Desk strip' });
    const si = sysinfoOf(await ask(plug, SYSINFO));
    expect(si).toMatchObject({ model: 'KP303(UK)', hw_ver: '1.0', feature: 'TIM', child_num: 3 });
    expect(si).not.toHaveProperty('relay_state');
    const ids = plug.outletIds();
    expect(ids).toHaveLength(3);
    expect(ids.every((id) => id === `${si['deviceId'] as string}${id.slice(-2)}`)).toBe(true);
    expect(await ask(plug, { ...SYSINFO, ...REALTIME })).toMatchObject({
      emeter: MODULE_NOT_SUPPORT,
    });
    expect(await ask(plug, withContext(ids[1] as string, REALTIME))).toEqual({
      emeter: MODULE_NOT_SUPPORT,
    });
    expect(plug.realtime()).toBeUndefined();
    expect(plug.outletRealtime(1)).toBeUndefined();
    await ask(plug, withContext(ids[0] as string, relay(0)));
    expect(statesOf(await ask(plug, SYSINFO))).toEqual([0, 1, 1]);
  });

  it('takes outlet options, refuses mismatched ones, and a single plug has no children', async () => {
    const plug = await started({
      profile: 'kp303',
      alias: 'Bench',
      outlets: [
        { alias: 'Iron', relay: false },
        { alias: 'Scope' },
        { alias: 'Fan', load: 'lamp' },
      ],
    });
    const children = childrenOf(await ask(plug, SYSINFO));
    expect(children.map((c) => [c['alias'], c['state']])).toEqual([
      ['Iron', 0],
      ['Scope', 1],
      ['Fan', 1],
    ]);
    expect(plug.outletReading(0).power).toBe(0);
    expect(plug.outletReading(2).power).toBeGreaterThan(0);
    expect(() => plug.outletRelay(3)).toThrow(RangeError);
    expect(
      () => new SimulatedPlug({ profile: 'hs300', alias: 'x', outlets: [{ alias: 'a' }] }),
    ).toThrow(/6 outlets/);
    expect(
      () => new SimulatedPlug({ profile: 'kp115', alias: 'x', outlets: [{ alias: 'a' }] }),
    ).toThrow(/0 outlets/);
    expect(() => new SimulatedPlug({ profile: 'hs300', alias: 'x' }).outletReading(0)).toThrow(
      /before start/,
    );

    const single = await started({ profile: 'kp115', alias: 'Desk' });
    expect(single.outletIds()).toEqual([]);
    expect(() => single.outletRelay(0)).toThrow(RangeError);
    expect(sysinfoOf(await ask(single, SYSINFO))).not.toHaveProperty('children');
    expect(await ask(single, withContext('ANY', REALTIME))).toEqual({ emeter: ENTRY_NOT_EXIST });
    expect(Object.keys(realtimeOf(await ask(single, REALTIME))).sort()).toEqual(
      ['current_ma', 'err_code', 'power_mw', 'total_wh', 'voltage_mv'].sort(),
    );
  });

  it('startFleet passes outlets through', async () => {
    const fleet = await startFleet([
      { profile: 'hs300', alias: 'Rack', relay: false },
      {
        profile: 'kp303',
        alias: 'Desk strip',
        outlets: [{ alias: 'A' }, { alias: 'B', relay: false }, { alias: 'C' }],
      },
    ]);
    try {
      const [rack, desk] = fleet.members.map((m) => m.plug) as [SimulatedPlug, SimulatedPlug];
      expect(statesOf(await ask(rack, SYSINFO))).toEqual([0, 0, 0, 0, 0, 0]);
      expect(childrenOf(await ask(desk, SYSINFO)).map((c) => [c['alias'], c['state']])).toEqual([
        ['A', 1],
        ['B', 0],
        ['C', 1],
      ]);
    } finally {
      await fleet.stop();
    }
  });
});
