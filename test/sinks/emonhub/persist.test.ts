import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmonhubSink } from '../../../src/sinks/emonhub/sink.js';
import { frameValidator } from '../../../src/sinks/emonhub/queue.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { emonhubConfig, makeReading } from '../helpers.js';
import { tempStateDir } from '../mqtt/gate.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { driveUntil, waitFor } from '../../fakes/wait.js';

const T0 = 1_700_000_000;
const reading = (i: number): ReturnType<typeof makeReading> => makeReading({ time: T0 + 10 * i });
/** The frame `makeReading` gives for reading `i`, as emonhub sees it. */
const line = (i: number): string => `${T0 + 10 * i} 5 230.1 0.123 12.5 1.234 1 -60`;

describe('EmonhubSink with a persisted queue', () => {
  let fake: FakeEmonhub;
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  const file = (): string => path.join(state.dir, 'emonhub-queue.json');
  beforeEach(async () => {
    state = await tempStateDir();
    fake = new FakeEmonhub();
    await fake.start();
  });
  afterEach(async () => {
    await fake.stop();
    await state.remove();
  });

  it('frames queued while emonhub is down survive a sink restart and go out in order, with their times', async () => {
    await fake.stop();
    const clock = new ManualClock(1_700_001_000_000);
    const a = memoryLogger();
    const sinkA = new EmonhubSink(emonhubConfig(fake.port), {
      log: a.log,
      clock,
      stateDir: state.dir,
    });
    await sinkA.start();
    for (let i = 0; i < 5; i++) sinkA.write(reading(i));
    await waitFor(() => a.lines.some((l) => l.msg.startsWith('emonhub unreachable')), 5000, 'down');
    const stopped = sinkA.stop();
    clock.advance(2000); // its flush bound: emonhub is still down
    await stopped;
    const saved = JSON.parse(readFileSync(file(), 'utf8')) as { items: string[] };
    expect(saved.items).toEqual([0, 1, 2, 3, 4].map((i) => `${line(i)}\r\n`));

    await fake.start();
    const b = memoryLogger();
    const sinkB = new EmonhubSink(emonhubConfig(fake.port), {
      log: b.log,
      clock,
      stateDir: state.dir,
    });
    await sinkB.start();
    expect(b.lines.find((l) => l.msg.startsWith('restored'))).toMatchObject({
      msg: `restored 5 frames from ${file()}`,
      restored: 5,
    });
    sinkB.write(reading(5)); // a new frame goes after the restored ones
    await driveUntil(clock, 500, () => fake.frames.length === 6, 5000, 'all frames');
    expect(fake.lines).toEqual([0, 1, 2, 3, 4, 5].map(line));
    expect(fake.violations).toEqual([]);
    await waitFor(() => sinkB.queued === 0, 5000, 'drained');
    await sinkB.stop();
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual({
      version: 1,
      delivered: 0,
      items: [],
    });
  });

  it.each([
    [undefined, 500],
    [4, 250],
  ])('replays a restored backlog at emonhub.replayRate (%s/s: %s ms apart)', async (rate, gap) => {
    writeFileSync(
      file(),
      JSON.stringify({ version: 1, items: [0, 1, 2].map((i) => `${line(i)}\r\n`) }),
    );
    const clock = new ManualClock(1_700_001_000_000);
    const config = emonhubConfig(fake.port, rate === undefined ? {} : { replayRate: rate });
    const sink = new EmonhubSink(config, { log: memoryLogger().log, clock, stateDir: state.dir });
    await sink.start();
    expect(sink.queued).toBe(3);
    for (let n = 1; n <= 3; n++) {
      await waitFor(() => clock.pending >= 1 && !sink.busy, 5000, 'pace timer');
      clock.advance(gap - 1);
      // Not one ms early: no connection was even started.
      expect(sink.busy).toBe(false);
      expect(sink.connections).toBe(n - 1);
      clock.advance(1);
      await waitFor(() => sink.connections === n, 5000, `frame ${n}`);
    }
    await waitFor(() => fake.frames.length === 3, 5000, 'taken');
    expect(fake.lines).toEqual([0, 1, 2].map(line));
    // A live frame goes out at once: only the backlog is paced.
    sink.write(reading(3));
    await waitFor(() => fake.frames.length === 4, 5000, 'live frame');
    await sink.stop();
  });

  it('bounds the queue by bytes: the newest frames that fit are kept', async () => {
    await fake.stop();
    const size = Buffer.byteLength(JSON.stringify(`${line(0)}\r\n`));
    const queue = { maxFrames: 100, maxBytes: 2 * size + 1 };
    const clock = new ManualClock(1_700_001_000_000);
    const sink = new EmonhubSink(emonhubConfig(fake.port, { queue }), {
      log: memoryLogger().log,
      clock,
      retryMs: 1000,
    });
    await sink.start();
    for (let i = 0; i < 5; i++) sink.write(reading(i));
    expect(sink.queued).toBe(2);
    expect(sink.dropped).toBe(3);
    await fake.start();
    await driveUntil(clock, 1000, () => fake.frames.length === 2, 5000, 'delivery');
    expect(fake.lines).toEqual([line(3), line(4)]);
    await sink.stop();
  });

  it('drops restored frames built under another config, and sends none of them', async () => {
    writeFileSync(file(), JSON.stringify({ version: 1, items: [`${line(0)}\r\n`] }));
    const { log, lines } = memoryLogger();
    const config = emonhubConfig(fake.port, { timestamped: false });
    const sink = new EmonhubSink(config, {
      log,
      clock: new ManualClock(1_700_001_000_000),
      stateDir: state.dir,
    });
    await sink.start();
    expect(sink.queued).toBe(0);
    expect(readdirSync(state.dir)).toEqual(['emonhub-queue.json']);
    expect(JSON.parse(readFileSync(file(), 'utf8')).items).toEqual([]);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      expect.stringContaining('does not fit the config (timestamped: false, 6 fields)'),
    ]);
    await sink.stop();
    expect(fake.connections).toBe(0);
  });

  it.each([
    ['a valid frame', `${line(0)}\r\n`, true],
    ['a node that is not an integer', '1700000000 27.0 1 2 3 4 5 6\r\n', false],
    ['a double space', '1700000000 5  1 2 3 4 5 6\r\n', false],
    ['a lone \\n', '1700000000 5 1 2 3 4 5 6\n', false],
    ['one value too many', '1700000000 5 1 2 3 4 5 6 7\r\n', false],
    ['an exponent', '1700000000 5 1e3 2 3 4 5 6\r\n', false],
    ['a node id where the time should be', '5 27 1 2 3 4 5 6\r\n', false],
    ['not a string', 42, false],
  ])('frameValidator: %s', (_what, raw, ok) => {
    const check = frameValidator(emonhubConfig(1));
    if (ok) expect(check(raw)).toBe(raw);
    else expect(() => check(raw)).toThrow();
  });
});
