import { describe, expect, it } from 'vitest';
import { sendFrame } from '../../../src/sinks/emonhub/send.js';
import { EMONHUB_PASS_MS, emonhubViolations, FakeEmonhub } from '../../fakes/emonhub.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { waitFor } from '../../fakes/wait.js';

// The fake emonhub must catch what kills the real one (docs/emonhub.md), or the sink tests
// that assert "no violations" prove nothing.
describe('fake emonhub validation', () => {
  it.each([
    ['1700000000 27 230.1 0.5 -74\r\n', true],
    ['27 230.1 0\r\n', false],
    // Several whole lines in one connection wait in emonhub's buffer: allowed.
    ['1700000000 27 1\r\n1700000000 28 2\r\n', true],
  ])('accepts %j (timestamped %s)', (raw, ts) => {
    expect(emonhubViolations(raw, ts)).toEqual([]);
  });

  it.each([
    ['', /empty connection/],
    ['\r\n', /empty line/],
    ['1700000000 27 1\r\n\r\n', /empty line/],
    ['1700000000 27 1\r\n1700000000 28', /does not end with/],
    ['1700000000 27.0 1\r\n', /node is not an integer/],
    ['1700000000 plug1 1\r\n', /node is not an integer/],
    [' 1700000000 27 1\r\n', /leading, trailing or double space/],
    ['1700000000 27  1\r\n', /double space/],
    ['1700000000\t27 1\r\n', /control character/],
    ['1700000000 27 1\n', /does not end with/],
    ['1700000000 27 1', /does not end with/],
    ['1700000000 27 NaN\r\n', /not a number/],
    ['1700000000 27 1e21\r\n', /not a number/],
    ['1700000000 27 -0x1\r\n', /not a number/],
    ['1700000000 27 1\u00e9\r\n', /non-ASCII/],
    ['1700000000.5 27 1\r\n', /time is not an integer/],
    ['1700000000 27\r\n', /no values/],
    [`1700000000 27 ${'1 '.repeat(600)}1\r\n`, /1024 bytes/],
  ])('flags %j', (raw, rule) => {
    expect(emonhubViolations(raw, true).join('; ')).toMatch(rule);
  });
});

// The fake's loop must behave as emonhub's (EmonHubInterfacer.run, EmonHubSocketInterfacer.read),
// or the pacing tests that run against it prove nothing.
describe("fake emonhub loop (emonhub's run and read)", () => {
  it('accepts one connection per 0.1 s pass and takes one frame per pass from its buffer', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const fake = new FakeEmonhub(true, { clock });
    await fake.start();
    try {
      const three = ['1', '2', '3'].map((v) => `1700000000 27 ${v}\r\n`).join('');
      await sendFrame('127.0.0.1', fake.port, three, 2000);
      await sendFrame('127.0.0.1', fake.port, '1700000000 28 4\r\n', 2000);
      await waitFor(() => fake.connections === 2 && fake.settled, 5000, 'both arrived');
      const seen: [number, number, number][] = [];
      for (let pass = 1; pass <= 5; pass++) {
        clock.advance(EMONHUB_PASS_MS);
        seen.push([fake.received.length, fake.frames.length, fake.buffered]);
      }
      // [connections read, frames taken, frames waiting in the buffer] after each pass.
      expect(seen).toEqual([
        [1, 1, 2],
        [2, 2, 2],
        [2, 3, 1],
        [2, 4, 0],
        [2, 4, 0],
      ]);
      expect(fake.lines).toEqual([
        '1700000000 27 1',
        '1700000000 27 2',
        '1700000000 27 3',
        '1700000000 28 4',
      ]);
      expect(fake.violations).toEqual([]);
    } finally {
      await fake.stop();
    }
  });

  it('reads at most 1024 bytes of a connection: the rest is lost, and flagged', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const fake = new FakeEmonhub(true, { clock });
    await fake.start();
    try {
      const line = `1700000000 27 ${'1 '.repeat(20)}1\r\n`;
      await sendFrame('127.0.0.1', fake.port, line.repeat(30), 2000);
      await waitFor(() => fake.connections === 1 && fake.settled, 5000, 'arrived');
      clock.advance(EMONHUB_PASS_MS);
      expect(fake.received[0]?.raw).toHaveLength(1024);
      expect(fake.violations.join('\n')).toMatch(/1024 bytes or more/);
    } finally {
      await fake.stop();
    }
  });
});
