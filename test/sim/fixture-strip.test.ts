/**
 * The fake strips built from the real HS300/KP303 captures (test/fakes/fixture-strip.ts): each
 * answers over TCP with the captured sysinfo (live child states) and, per outlet, an emeter
 * reading in the captured key set, routed by the simulator's `context.child_ids` dispatch.
 * The captures (GPL-3.0-or-later) are read from ../shared at test time only.
 */
import { describe, expect, it } from 'vitest';
import {
  STRIP_FIXTURES,
  fixturesAvailable,
  fixturesDir,
  startFixtureStrip,
  type FixtureStrip,
} from '../fakes/fixture-strip.js';
import { ask, realtimeOf, stoppedAfterEach, sysinfoOf, type Json } from './helpers.js';
import { ManualClock } from '../fakes/manual-clock.js';

if (!fixturesAvailable)
  console.warn(`fixture-strip.test.ts: ${fixturesDir} is missing; the strip captures are skipped`);

const track = stoppedAfterEach<FixtureStrip>();

const SYSINFO = { system: { get_sysinfo: {} } };
const REALTIME = { emeter: { get_realtime: {} } };
const ctx = (id: string, request: Json): Json => ({ context: { child_ids: [id] }, ...request });

/** The capture's sysinfo with the children's live fields replaced, computed by the test. */
function expectedSysinfo(captured: Json, states: number[], onTimes: number[]): Json {
  const children = (captured['children'] as Json[]).map((c, i) => ({
    ...c,
    state: states[i],
    on_time: onTimes[i],
  }));
  return { ...captured, children };
}

describe.skipIf(!fixturesAvailable)('fake strips from real captures', () => {
  it.each(STRIP_FIXTURES)(
    '%s: sysinfo over TCP is the capture with live child states',
    async (file) => {
      const clock = new ManualClock(1_700_000_000_000);
      const strip = await startFixtureStrip(file, { now: () => clock.now() });
      track(strip);
      const captured = strip.sysinfo;
      const children = captured['children'] as Json[];
      expect(children.length).toBe(captured['child_num']);
      expect(strip.childIds).toEqual(children.map((c) => c['id']));
      expect(strip.childIds[0]).toBe('SCRUBBED_CHILD_DEVICE_ID_1');

      // At boot the relays are as captured and every on_time starts at 0.
      const states = children.map((c) => c['state'] as number);
      const boot = sysinfoOf(await ask(strip, SYSINFO));
      expect(boot).toEqual(
        expectedSysinfo(
          captured,
          states,
          states.map(() => 0),
        ),
      );
      expect(Object.keys(boot)).toEqual(Object.keys(captured));
      expect(boot).not.toHaveProperty('relay_state');

      // 9 s later, outlet 2 toggled through its child id: only its state changes.
      clock.advance(9_000);
      const flipped = states[1] === 1 ? 0 : 1;
      const set = await ask(
        strip,
        ctx(strip.childIds[1] as string, {
          system: { set_relay_state: { state: flipped } },
        }),
      );
      expect(set).toEqual({ system: { set_relay_state: { err_code: 0 } } });
      const now = states.map((s, i) => (i === 1 ? flipped : s));
      const onTimes = now.map((s, i) => (s === 1 && i !== 1 ? 9 : 0));
      expect(sysinfoOf(await ask(strip, SYSINFO))).toEqual(expectedSysinfo(captured, now, onTimes));
      expect(strip.plug.outletRelay(1)).toBe(flipped === 1);
    },
  );

  it.each(STRIP_FIXTURES)(
    '%s: per-outlet emeter in the captured key set, or module not support',
    async (file) => {
      const strip = await startFixtureStrip(file);
      track(strip);
      const captured = strip.capturedEmeter;
      if (captured === undefined) {
        expect(strip.sysinfo['feature']).toBe('TIM');
        for (const id of strip.childIds)
          expect(await ask(strip, ctx(id, REALTIME))).toEqual({
            emeter: { err_code: -1, err_msg: 'module not support' },
          });
        return;
      }
      expect(strip.sysinfo['feature']).toBe('TIM:ENE');
      const keys = Object.keys(captured);
      const hw2 = strip.sysinfo['hw_ver'] === '2.0';
      expect(keys.includes('slot_id')).toBe(hw2);
      const powers = new Set<unknown>();
      for (const [i, id] of strip.childIds.entries()) {
        const reply = await ask(strip, ctx(id, REALTIME));
        expect(Object.keys(reply)).toEqual(['emeter']);
        const rt = realtimeOf(reply);
        expect(Object.keys(rt)).toEqual(keys);
        expect(rt).toEqual(strip.outletEmeter[i]);
        expect(rt['err_code']).toBe(0);
        if (hw2) expect(rt['slot_id']).toBe(i);
        powers.add(rt['power_mw']);
      }
      expect(powers.size).toBe(strip.childIds.length);
      // Without a context: outlet 1, which is the captured reading itself.
      expect(realtimeOf(await ask(strip, REALTIME))).toEqual(captured);
      expect(await ask(strip, ctx('SCRUBBED_CHILD_DEVICE_ID_9', REALTIME))).toEqual({
        emeter: { err_code: -14, err_msg: 'entry not exist' },
      });
    },
  );
});
