import { describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { emonhubConfig, makeReading } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { driveUntil, waitFor } from '../../fakes/wait.js';

describe('EmonhubSink during an emonhub outage', () => {
  it('keeps frames while refused and delivers them in order, with their original times, once emonhub is back on the same port', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    await fake.stop(); // the port is known and now refuses connections
    const clock = new ManualClock(1_700_000_100_000);
    const { log, lines } = memoryLogger();
    const sink = new EmonhubSink(emonhubConfig(fake.port), { log, clock, retryMs: 5000 });
    await sink.start();
    const down = (): number => lines.filter((l) => l.msg.startsWith('emonhub unreachable')).length;
    const up = (): number =>
      lines.filter((l) => l.msg.startsWith('emonhub reachable again')).length;

    const times = [1_700_000_000, 1_700_000_010, 1_700_000_020];
    for (const [i, time] of times.entries())
      sink.write(
        makeReading({
          time,
          values: { voltage: 230 + i, current: 1, power: 2, energy: 3, state: 'ON', rssi: -50 },
        }),
      );
    await waitFor(() => down() === 1 && clock.pending === 1, 5000, 'first refusal');
    expect(lines.find((l) => l.msg.startsWith('emonhub unreachable'))).toMatchObject({
      code: 'SINK_REFUSED',
      queued: 3,
    });

    // Two more refused retries: still one "down" line, nothing lost.
    for (let i = 0; i < 2; i++) {
      clock.advance(5000);
      await waitFor(() => clock.pending === 1, 5000, 'retry refused');
    }
    expect(down()).toBe(1);
    expect(sink.queued).toBe(3);
    expect(sink.sent).toBe(0);

    // A retry does not come early.
    clock.advance(4999);
    expect(clock.pending).toBe(1);

    await fake.start();
    expect(fake.port).toBeGreaterThan(0);
    await driveUntil(clock, 250, () => fake.frames.length === 3, 5000, 'backlog delivered');
    expect(fake.lines).toEqual([
      '1700000000 5 230 1 2 3 1 -50',
      '1700000010 5 231 1 2 3 1 -50',
      '1700000020 5 232 1 2 3 1 -50',
    ]);
    expect(fake.violations).toEqual([]);
    await waitFor(() => sink.queued === 0, 5000, 'empty queue');
    expect(up()).toBe(1);
    expect(down()).toBe(1);
    expect(sink.sent).toBe(3);

    await sink.stop();
    await fake.stop();
  });
});
