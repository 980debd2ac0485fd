import { describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { emonhubConfig, makeReading } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';

describe('EmonhubSink stop', () => {
  it('resolves at once with an empty queue, is idempotent, and ignores later writes', async () => {
    const clock = new ManualClock(0);
    const sink = new EmonhubSink(emonhubConfig(1), { log: memoryLogger().log, clock });
    await sink.start();
    await Promise.all([sink.stop(), sink.stop()]);
    sink.write(makeReading());
    expect(sink.queued).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('flushes a backlog when emonhub is up', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    const sink = new EmonhubSink(emonhubConfig(fake.port), {
      log: memoryLogger().log,
      clock: new ManualClock(0),
    });
    await sink.start();
    for (let i = 0; i < 3; i++) sink.write(makeReading({ time: 1_700_000_000 + i }));
    await sink.stop();
    expect(sink.sent).toBe(3);
    await waitFor(() => fake.frames.length === 3, 5000, 'frames');
    await fake.stop();
  });

  it('gives up after stopTimeoutMs when emonhub is down, and clears its timers', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    await fake.stop();
    const clock = new ManualClock(0);
    const { log, lines } = memoryLogger();
    const sink = new EmonhubSink(emonhubConfig(fake.port), { log, clock, retryMs: 5000 });
    await sink.start();
    sink.write(makeReading());
    await waitFor(() => clock.pending === 1, 5000, 'refused');

    let done = false;
    const stopped = sink.stop().then(() => (done = true));
    clock.advance(1999);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    clock.advance(1);
    await stopped;
    expect(clock.pending).toBe(0);
    expect(sink.queued).toBe(1);
    expect(lines.some((l) => l.msg === 'emonhub sink stopped with 1 frames unsent')).toBe(true);
  });
});
