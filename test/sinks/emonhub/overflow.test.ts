import { describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { emonhubConfig, makeReading } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { driveUntil, waitFor } from '../../fakes/wait.js';

describe('EmonhubSink queue bound (emonhub.queue.maxFrames)', () => {
  it('drops the oldest frames, counts them, warns when an episode begins and when it ends', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    await fake.stop();
    const clock = new ManualClock(0);
    const { log, lines } = memoryLogger();
    const queue = { maxFrames: 3, maxBytes: 1 << 20 };
    const sink = new EmonhubSink(emonhubConfig(fake.port, { queue }), {
      log,
      clock,
      retryMs: 1000,
    });
    await sink.start();
    const full = (): number => lines.filter((l) => l.msg.startsWith('emonhub queue full')).length;
    // Frame 0 goes on the wire at once (and is refused); the bound still counts it: the oldest
    // go, whether a send of theirs is under way or not.
    for (let i = 0; i < 5; i++) sink.write(makeReading({ time: 1_700_000_000 + i }));
    expect(sink.queued).toBe(3);
    expect(sink.dropped).toBe(2);
    expect(full()).toBe(1);

    await waitFor(() => clock.pending === 1, 5000, 'refused');
    await fake.start();
    await driveUntil(clock, 1000, () => fake.frames.length === 3, 5000, 'delivery');
    expect(fake.lines.map((l) => l.split(' ')[0])).toEqual([
      '1700000002',
      '1700000003',
      '1700000004',
    ]);
    await waitFor(() => sink.queued === 0, 5000, 'drained');
    expect(lines.find((l) => l.msg.startsWith('emonhub queue overflow ended'))).toMatchObject({
      level: 40,
      dropped: 2,
      msg: 'emonhub queue overflow ended: 2 frames were dropped',
    });

    // A new episode warns again.
    await fake.stop();
    for (let i = 0; i < 5; i++) sink.write(makeReading({ time: 1_700_000_100 + i }));
    expect(sink.dropped).toBe(4);
    expect(full()).toBe(2);

    const stopped = sink.stop();
    clock.advance(2000);
    await stopped;
  });
});
