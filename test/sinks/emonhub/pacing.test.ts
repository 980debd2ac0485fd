import { describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { emonhubConfig, makeReading } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';

// emonhub's loop sleeps 0.1 s between reads and handles about 5 frames/s: a backlog is paced.
describe('EmonhubSink pacing', () => {
  it('waits gapMs between frames of a backlog, and sends a lone frame at once', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    const clock = new ManualClock(1_700_000_000_000);
    const sink = new EmonhubSink(emonhubConfig(fake.port), {
      log: memoryLogger().log,
      clock,
      gapMs: 250,
    });
    await sink.start();
    for (let i = 0; i < 3; i++) sink.write(makeReading({ time: 1_700_000_000 + i }));

    await waitFor(() => fake.received.length === 1 && clock.pending === 1, 5000, 'first frame');
    clock.advance(249);
    expect(clock.pending).toBe(1); // the gap timer has not fired
    clock.advance(1);
    await waitFor(() => fake.received.length === 2 && clock.pending === 1, 5000, 'second frame');
    clock.advance(250);
    await waitFor(() => fake.received.length === 3 && sink.queued === 0, 5000, 'third frame');
    expect(fake.lines.map((l) => l.split(' ')[0])).toEqual([
      '1700000000',
      '1700000001',
      '1700000002',
    ]);

    // Long after the last frame: no gap to wait for.
    clock.advance(10_000);
    sink.write(makeReading({ time: 1_700_000_010 }));
    await waitFor(() => fake.received.length === 4, 5000, 'lone frame');
    expect(clock.pending).toBe(0);
    expect(fake.violations).toEqual([]);

    await sink.stop();
    await fake.stop();
  });

  it('paces on monotonic time: a wall clock stepped back does not hold the backlog', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    const clock = new ManualClock(1_700_000_000_000);
    const sink = new EmonhubSink(emonhubConfig(fake.port), {
      log: memoryLogger().log,
      clock,
      gapMs: 250,
    });
    await sink.start();
    for (let i = 0; i < 2; i++) sink.write(makeReading({ time: 1_700_000_000 + i }));
    await waitFor(() => fake.received.length === 1 && clock.pending === 1, 5000, 'first frame');
    clock.stepWall(-3_600_000);
    clock.advance(250);
    await waitFor(() => fake.received.length === 2 && sink.queued === 0, 5000, 'second frame');
    await sink.stop();
    await fake.stop();
  });
});
