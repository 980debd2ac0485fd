import { describe, expect, it } from 'vitest';
import { PlugError, PlugErrorCode, PollErrorCode } from '../../src/errors.js';
import type { DeviceSample } from '../../src/kasa/device.js';
import { Poller, type Pollable, type PollResult } from '../../src/collector/poller.js';

const SAMPLE: DeviceSample = { identity: {}, values: { power: 1 }, hasEmeter: true };

/** A plug whose polls resolve or reject when the test says so. */
class ControlledPlug implements Pollable {
  readonly pending: { resolve: (s: DeviceSample) => void; reject: (e: unknown) => void }[] = [];
  polls = 0;
  constructor(readonly target: string) {}
  poll(): Promise<DeviceSample> {
    this.polls++;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  answer(): void {
    this.pending.shift()?.resolve(SAMPLE);
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(n: number, concurrency: number) {
  const plugs = Array.from({ length: n }, (_, i) => new ControlledPlug(`p${i}`));
  const results: { plug: string; tick: number; result: PollResult }[] = [];
  const poller = new Poller<ControlledPlug>({ timeoutMs: 1000, concurrency }, (p, tick, result) =>
    results.push({ plug: p.target, tick, result }),
  );
  return { plugs, results, poller };
}

describe('Poller', () => {
  it('polls every plug once per tick and reports each result with the tick time', async () => {
    const { plugs, results, poller } = setup(3, 10);
    const done = poller.pollTick(plugs, 100);
    await flush();
    plugs.forEach((p) => p.answer());
    await done;
    expect(results.map((r) => [r.plug, r.tick, r.result.ok])).toEqual([
      ['p0', 100, true],
      ['p1', 100, true],
      ['p2', 100, true],
    ]);
  });

  it('never runs more than `concurrency` polls at once', async () => {
    const { plugs, poller } = setup(5, 2);
    const done = poller.pollTick(plugs, 100);
    await flush();
    expect(poller.inFlight).toBe(2);
    expect(plugs.map((p) => p.polls)).toEqual([1, 1, 0, 0, 0]);
    plugs[0]!.answer();
    await flush();
    expect(poller.inFlight).toBe(2);
    expect(plugs[2]!.polls).toBe(1);
    for (const p of plugs) p.answer();
    await flush();
    for (const p of plugs) p.answer();
    await done;
    expect(plugs.map((p) => p.polls)).toEqual([1, 1, 1, 1, 1]);
  });

  it('a hung plug does not delay the others and is not polled twice at the next tick', async () => {
    const { plugs, results, poller } = setup(3, 10);
    void poller.pollTick(plugs, 100);
    await flush();
    plugs[1]!.answer();
    plugs[2]!.answer();
    await flush();
    expect(results.filter((r) => r.tick === 100).map((r) => r.plug)).toEqual(['p1', 'p2']);

    const second = poller.pollTick(plugs, 110);
    await flush();
    expect(plugs[0]!.polls).toBe(1); // still in flight: not polled again
    const overlap = results.find((r) => r.tick === 110 && r.plug === 'p0');
    expect(overlap?.result.ok).toBe(false);
    if (overlap?.result.ok === false) {
      expect(overlap.result.error.code).toBe(PollErrorCode.OVERLAP);
      expect(overlap.result.error.retryable).toBe(true);
    }
    plugs[1]!.answer();
    plugs[2]!.answer();
    await second;
    expect(results.filter((r) => r.tick === 110 && r.result.ok).map((r) => r.plug)).toEqual([
      'p1',
      'p2',
    ]);

    plugs[0]!.pending[0]!.reject(new PlugError(PlugErrorCode.TIMEOUT, 'p0', 'late'));
    await poller.idle();
    const late = results.filter((r) => r.plug === 'p0');
    expect(late.map((r) => r.tick)).toEqual([110, 100]);
  });

  it('wraps a non-PlugError rejection as INTERNAL_ERROR (a bug, not the plug) with its cause', async () => {
    const { plugs, results, poller } = setup(1, 1);
    const done = poller.pollTick(plugs, 100);
    await flush();
    plugs[0]!.pending[0]!.reject(new Error('boom'));
    await done;
    const r = results[0]!.result;
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(PollErrorCode.INTERNAL);
      expect(r.error.retryable).toBe(false);
      expect(r.error.cause).toMatchObject({ message: 'boom' });
    }
  });

  it('plugs a tick could not start before the next tick are reported failed', async () => {
    const { plugs, results, poller } = setup(3, 1);
    const first = poller.pollTick(plugs, 100);
    await flush();
    void poller.pollTick([], 110); // the next tick arrives; p1 and p2 never started
    plugs[0]!.answer();
    await first;
    const t100 = results.filter((r) => r.tick === 100);
    expect(t100.map((r) => [r.plug, r.result.ok])).toEqual([
      ['p0', true],
      ['p1', false],
      ['p2', false],
    ]);
    expect(plugs[1]!.polls).toBe(0);
    const codes = t100.map((r) => (r.result.ok ? 'ok' : r.result.error.code));
    expect(codes).toEqual(['ok', PollErrorCode.NOT_STARTED, PollErrorCode.NOT_STARTED]);
  });
});
