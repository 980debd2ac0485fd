import { describe, expect, it } from 'vitest';
import { emonhubViolations } from '../../fakes/emonhub.js';

// The fake emonhub must catch what kills the real one (docs/emonhub.md), or the sink tests
// that assert "no violations" prove nothing.
describe('fake emonhub validation', () => {
  it.each([
    ['1700000000 27 230.1 0.5 -74\r\n', true],
    ['27 230.1 0\r\n', false],
  ])('accepts %j (timestamped %s)', (raw, ts) => {
    expect(emonhubViolations(raw, ts)).toEqual([]);
  });

  it.each([
    ['', /empty connection/],
    ['\r\n', /empty line/],
    ['1700000000 27 1\r\n\r\n', /more than one frame|empty line/],
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
