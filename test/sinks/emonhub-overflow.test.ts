import { describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../src/sinks/emonhub.js';
import { FakeEmonhub } from '../fakes/emonhub.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { captureLogger, driveUntil, emonhubConfig, makeReading, waitFor } from './helpers.js';

describe('EmonhubSink queue bound', () => {
  it('drops the oldest frames not on the wire, counts them, warns once per episode', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    await fake.stop();
    const clock = new ManualClock(0);
    const { log, lines } = captureLogger();
    const sink = new EmonhubSink(emonhubConfig(fake.port), log, clock, {
      maxQueue: 3,
      retryMs: 1000,
      gapMs: 0,
    });
    await sink.start();
    // The first write starts a send at once, so frame 0 is on the wire while 1..4 arrive.
    for (let i = 0; i < 5; i++) sink.write(makeReading({ time: 1_700_000_000 + i }));
    expect(sink.queueLength).toBe(3);
    expect(sink.dropped).toBe(2);
    expect(lines.filter((l) => l.msg.startsWith('emonhub queue full'))).toHaveLength(1);

    await waitFor(() => clock.pending === 1, 5000, 'refused');
    await fake.start();
    await driveUntil(clock, 1000, () => fake.received.length === 3, 5000, 'delivery');
    expect(fake.lines.map((l) => l.split(' ')[0])).toEqual([
      '1700000000',
      '1700000003',
      '1700000004',
    ]);
    await waitFor(() => lines.some((l) => l.msg === 'emonhub queue drained'), 5000, 'drained');

    // A new episode warns again.
    await fake.stop();
    for (let i = 0; i < 5; i++) sink.write(makeReading({ time: 1_700_000_100 + i }));
    expect(sink.dropped).toBe(4);
    expect(lines.filter((l) => l.msg.startsWith('emonhub queue full'))).toHaveLength(2);

    const stopped = sink.stop();
    clock.advance(2000);
    await stopped;
  });
});
