import { describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { emonhubConfig, makeReading } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';

describe('EmonhubSink with a reading that lacks a configured field', () => {
  it('sends nothing for it and warns once per device until a complete reading comes', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    const { log, lines } = memoryLogger();
    const sink = new EmonhubSink(emonhubConfig(fake.port), {
      log,
      clock: new ManualClock(0),
    });
    await sink.start();
    const warnings = (): typeof lines => lines.filter((l) => l.msg.startsWith('not sending'));
    const noEmeter = { state: 'ON' as const, rssi: -60 };

    for (let i = 0; i < 5; i++)
      sink.write(makeReading({ time: 1_700_000_000 + i, values: noEmeter }));
    expect(sink.queued).toBe(0);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({
      level: 40,
      device: 'fridge',
      node: 5,
      missing: ['voltage', 'current', 'power', 'energy'],
    });

    // Another device gets its own warning.
    sink.write(makeReading({ device: { name: 'lamp', node: 7 }, values: noEmeter }));
    expect(warnings()).toHaveLength(2);

    // A complete reading goes out and ends the episode; a later gap warns again.
    sink.write(makeReading({ time: 1_700_000_010 }));
    await waitFor(() => fake.frames.length === 1, 5000, 'complete frame');
    sink.write(makeReading({ time: 1_700_000_020, values: noEmeter }));
    expect(warnings()).toHaveLength(3);
    expect(fake.lines).toEqual(['1700000010 5 230.1 0.123 12.5 1.234 1 -60']);

    await sink.stop();
    await fake.stop();
  });

  it('logs an unsendable value once per device and never throws', async () => {
    const { log, lines } = memoryLogger();
    const sink = new EmonhubSink(emonhubConfig(1), { log, clock: new ManualClock(0) });
    await sink.start();
    const huge = makeReading({
      values: { voltage: 1e20, current: 1, power: 1, energy: 1, state: 'ON', rssi: -1 },
    });
    expect(() => sink.write(huge)).not.toThrow();
    sink.write(huge);
    sink.write(makeReading({ device: { node: 300 } }));
    expect(sink.queued).toBe(0);
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      'not sending fridge to emonhub: emonhub node 5 value #1: emonhub value 100000000000000000000 is out of range (|v| must be < 1000000000000000)',
    ]);
    await sink.stop();
  });
});
