import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { emonhubConfig, makeReading } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { driveUntil, waitFor } from '../../fakes/wait.js';

describe('EmonhubSink frames', () => {
  let fake: FakeEmonhub;
  let sink: EmonhubSink | undefined;
  beforeEach(() => {
    fake = new FakeEmonhub();
  });
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
    await fake.stop();
  });

  it('sends one exact frame per reading and per connection, only for devices with a node', async () => {
    await fake.start();
    const clock = new ManualClock(1_700_000_000_000);
    sink = new EmonhubSink(emonhubConfig(fake.port), { log: memoryLogger().log, clock });
    await sink.start();
    sink.write(makeReading());
    sink.write(
      makeReading({
        time: 1_700_000_000,
        device: { name: 'kettle', host: '10.0.0.7', node: 6 },
        values: {
          voltage: 229.9,
          current: 8.7,
          power: 2001.5,
          energy: 100.25,
          state: 'OFF',
          rssi: -71,
        },
      }),
    );
    sink.write(makeReading({ device: { name: 'lamp', node: undefined } }));
    expect(sink.queued).toBe(2);

    await driveUntil(clock, 250, () => fake.frames.length === 2, 5000, 'two frames');
    await waitFor(() => sink?.sent === 2, 5000, 'sent counter');
    expect(fake.lines).toEqual([
      '1700000000 5 230.1 0.123 12.5 1.234 1 -60',
      '1700000000 6 229.9 8.7 2001.5 100.25 0 -71',
    ]);
    expect(fake.violations).toEqual([]);
    expect(sink.queued).toBe(0);
    expect(sink.dropped).toBe(0);
  });

  it('leaves the time out when emonhub is not timestamped, and follows the configured field order', async () => {
    fake = new FakeEmonhub(false);
    await fake.start();
    const clock = new ManualClock(0);
    const config = emonhubConfig(fake.port, { timestamped: false, fields: ['power', 'state'] });
    sink = new EmonhubSink(config, { log: memoryLogger().log, clock });
    await sink.start();
    sink.write(makeReading());
    await waitFor(() => fake.frames.length === 1, 5000, 'frame');
    expect(fake.lines).toEqual(['5 12.5 1']);
    expect(fake.violations).toEqual([]);
  });

  it('does nothing before start', async () => {
    await fake.start();
    sink = new EmonhubSink(emonhubConfig(fake.port), {
      log: memoryLogger().log,
      clock: new ManualClock(0),
    });
    sink.write(makeReading());
    expect(sink.queued).toBe(0);
  });
});
