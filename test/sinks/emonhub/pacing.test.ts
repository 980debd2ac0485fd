import { afterEach, describe, expect, it } from 'vitest';
import type { EmonhubConfig } from '../../../src/config/types.js';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { emonhubConfig, makeReading } from '../helpers.js';

/**
 * Pacing against the fake interfacer modelled on emonhub's loop (one frame taken per 0.1 s
 * pass, several whole lines per connection allowed). The sink and the fake run on one manual
 * clock, moved in lockstep: a step waits until every send is written and has arrived, so
 * each pass sees what the real emonhub would, however loaded the machine is.
 */

const T0 = 1_700_000_000;

describe('EmonhubSink pacing', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function setup(over: Partial<EmonhubConfig> = {}) {
    const clock = new ManualClock(T0 * 1000);
    const fake = new FakeEmonhub(true, { clock });
    await fake.start();
    cleanup.push(() => fake.stop());
    const mem = memoryLogger();
    const sink = new EmonhubSink(emonhubConfig(fake.port, over), {
      log: mem.log,
      clock,
      retryMs: 5000,
    });
    await sink.start();
    cleanup.push(async () => {
      const stopped = sink.stop();
      clock.advance(2000); // its flush bound, on the manual clock
      await stopped;
    });
    const quiet = () =>
      waitFor(
        () => !sink.busy && fake.connections === sink.connections && fake.settled,
        5000,
        'sends written and arrived',
      );
    /** Moves the clock by `ms` in 100 ms steps, letting sends land between steps. */
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        await quiet();
        clock.advance(Math.min(100, ms - t));
      }
      await quiet();
    };
    /** One tick: a reading of each node stamped `time`. */
    const tick = (nodes: number, time: number) => {
      for (let node = 1; node <= nodes; node++) {
        sink.write(makeReading({ time, device: { name: `p${node}`, host: 'h', port: 1, node } }));
      }
    };
    return { clock, fake, sink, mem, run, tick };
  }

  it('40 nodes at 10 s ticks: every frame delivered, each tick before the next', async () => {
    const { fake, sink, run, tick } = await setup();
    for (let i = 0; i < 5; i++) {
      tick(40, T0 + 10 * i);
      await run(10_000);
      expect(fake.frames).toHaveLength(40 * (i + 1));
    }
    expect(sink.queued).toBe(0);
    expect(fake.violations).toEqual([]);
    const perNode = new Map<string, string[]>();
    for (const line of fake.lines) {
      const [time, node] = line.split(' ');
      perNode.set(node!, [...(perNode.get(node!) ?? []), time!]);
    }
    expect(perNode.size).toBe(40);
    for (const times of perNode.values()) {
      expect(times).toEqual(['0', '1', '2', '3', '4'].map((i) => String(T0 + 10 * Number(i))));
    }
    // Packed: far fewer connections than frames, each under emonhub's 1024-byte recv.
    expect(sink.connections).toBeLessThan(200 / 5);
    expect(Math.max(...fake.received.map((r) => r.raw.length))).toBeLessThan(1024);
  });

  it("never puts more than 2 s of frames in emonhub's buffer; the rest waits in the queue", async () => {
    const { fake, sink, run, tick, mem } = await setup();
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, fake.buffered)), 1);
    cleanup.push(async () => clearInterval(watch));
    // 150 nodes at 10 s need 15 frames/s: more than emonhub takes.
    for (let i = 0; i < 7; i++) {
      tick(150, T0 + 10 * i);
      await run(10_000);
      most = Math.max(most, fake.buffered);
    }
    expect(most).toBeLessThanOrEqual(20);
    expect(sink.queued).toBeGreaterThan(300);
    expect(sink.backlogAgeS).toBeGreaterThan(20);
    const growing = mem.lines.filter((l) => String(l.msg).startsWith('emonhub backlog growing'));
    expect(growing).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  it('a backlog after an outage drains at replayRate on top of the live frames', async () => {
    const { fake, sink, run, tick, clock } = await setup({ replayRate: 2 });
    await fake.stop();
    tick(20, T0); // emonhub is down: 20 frames wait
    await waitFor(() => !sink.busy, 5000, 'the refused send');
    expect(sink.queued).toBe(20);
    await fake.start();
    clock.advance(5000); // the retry: the head frame alone
    await run(0);
    expect(fake.connections).toBe(1);
    // From now on: 4 live frames every 2 s (2/s), and the backlog at 2/s on top.
    for (let i = 1; i <= 5; i++) {
      tick(4, T0 + 10 * i);
      await run(2000);
    }
    // 19 backlog frames at 2/s need ~10 s: drained by now, the live ones never held back.
    await run(1000);
    expect(sink.queued).toBe(0);
    expect(fake.frames).toHaveLength(40);
    expect(fake.lines.slice(0, 20).map((l) => l.split(' ')[0])).toEqual(
      Array.from({ length: 20 }, () => String(T0)),
    );
    expect(fake.violations).toEqual([]);
  });

  it('a lone frame goes at once; a wall clock stepped back holds nothing', async () => {
    const { fake, sink, run, tick, clock } = await setup();
    tick(1, T0);
    await waitFor(() => fake.connections === 1, 5000, 'sent at once');
    clock.stepWall(-3_600_000);
    tick(3, T0 + 10);
    await run(1000);
    expect(fake.frames).toHaveLength(4);
    expect(sink.queued).toBe(0);
  });
});
