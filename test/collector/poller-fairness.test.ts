import { describe, expect, it } from 'vitest';
import { Poller, type Pollable, type PollResult } from '../../src/collector/poller.js';
import { PlugError, PlugErrorCode, PollErrorCode } from '../../src/errors.js';
import type { DeviceSample } from '../../src/kasa/device.js';
import { ManualClock } from '../fakes/manual-clock.js';

/**
 * Each tick gives every plug a fair chance (`poller.ts`): plugs that answered last time go
 * first, the others take turns where the previous tick stopped, so hung plugs at the head of a
 * long list cannot starve live ones at its end.
 */

const SAMPLE: DeviceSample = { identity: {}, values: { power: 1 }, hasEmeter: true };
const TIMEOUT_MS = 2000;
const INTERVAL_MS = 10_000;
const flush = () => new Promise((r) => setImmediate(r));

/** A plug that accepts and never answers (times out on the clock), or answers at once. */
class Plug implements Pollable {
  polls = 0;
  constructor(
    readonly target: string,
    private readonly clock: ManualClock,
    private readonly live: boolean,
  ) {}
  poll(timeoutMs: number): Promise<DeviceSample> {
    this.polls++;
    if (this.live) return Promise.resolve(SAMPLE);
    return new Promise((_, reject) => {
      this.clock.setTimeout(
        () => reject(new PlugError(PlugErrorCode.TIMEOUT, this.target, 'no answer')),
        timeoutMs,
      );
    });
  }
}

/** 496 hung plugs, then 4 live ones; concurrency 64: 320 polls fit in a tick. */
function fleet() {
  const clock = new ManualClock(0);
  const plugs = Array.from(
    { length: 500 },
    (_, i) => new Plug(i < 496 ? `hung${i}` : `live${i - 496}`, clock, i >= 496),
  );
  const results = new Map<number, Map<string, PollResult>>();
  const poller = new Poller<Plug>(
    { timeoutMs: TIMEOUT_MS, concurrency: 64 },
    (p, tick, result) => {
      if (!results.has(tick)) results.set(tick, new Map());
      results.get(tick)!.set(p.target, result);
    },
    clock,
  );
  /**
   * Runs `n` ticks, moving time in steps of the timeout so each worker takes its next plug: five
   * rounds of 64 hung polls a tick (at 0, 2, 4, 6 and 8 s); the fifth ends as the next tick starts.
   */
  const ticks = async (n: number) => {
    for (let t = 0; t < n; t++) {
      void poller.pollTick(plugs, t);
      await flush();
      for (let round = 1; round < INTERVAL_MS / TIMEOUT_MS; round++) {
        clock.advance(TIMEOUT_MS);
        await flush();
      }
      clock.advance(TIMEOUT_MS - 1);
      await flush();
    }
    void poller.pollTick([], n); // the next tick ends the last one
    clock.advance(TIMEOUT_MS);
    await poller.idle();
  };
  const live = (tick: number) =>
    [...(results.get(tick) ?? new Map<string, PollResult>())]
      .filter(([name]) => name.startsWith('live'))
      .map(([, r]) => (r.ok ? 'ok' : r.error.code));
  return { plugs, results, ticks, live };
}

describe('fair ticks', () => {
  it('polls 4 live plugs behind 496 hung ones from the second tick on, every tick', async () => {
    const { ticks, live } = fleet();
    await ticks(6);
    expect(live(0)).toEqual(Array(4).fill(PollErrorCode.NOT_STARTED));
    for (let t = 1; t < 6; t++) expect(live(t)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('tries every hung plug in turn, none skipped more than one tick in a row', async () => {
    const { plugs, results, ticks } = fleet();
    await ticks(6);
    for (const p of plugs.slice(0, 496)) {
      const codes = [0, 1, 2, 3, 4, 5].map((t) => {
        const r = results.get(t)?.get(p.target);
        return r === undefined || r.ok ? 'ok' : r.error.code;
      });
      expect(codes.join(' ')).not.toContain('POLL_NOT_STARTED POLL_NOT_STARTED');
    }
    // 320 hung polls a tick (64 workers × 5 rounds), each tick starting where the last stopped:
    // 496 hung plugs take a tick and a half to go round.
    const hung = plugs.slice(0, 496).map((p) => p.polls);
    expect(hung.reduce((a, b) => a + b, 0)).toBe(6 * 320);
    expect(Math.min(...hung)).toBeGreaterThanOrEqual(3);
  });
});
