import { describe, expect, it } from 'vitest';
import { TickSource } from '../../src/collector/tick-source.js';
import { loadConfig } from '../../src/config/load.js';
import {
  VALID_INTERVALS,
  cadence,
  intervalPattern,
  nearestIntervals,
  nominalIntervalS,
  tickPattern,
} from '../../src/config/tick-pattern.js';
import { fileError, loadError, ONE_PLUG } from './helpers.js';

/** `poll.interval` as a croner pattern, `poll.cron`, `poll.timezone` and what derives from them. */
describe('poll.interval as a croner pattern', () => {
  it('accepts exactly the divisors of 60 s, of an hour in minutes and of a day in hours', () => {
    expect(VALID_INTERVALS).toEqual([
      1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800,
      3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400,
    ]);
  });

  it.each([
    [1, '* * * * * *'],
    [10, '*/10 * * * * *'],
    [60, '0 * * * * *'],
    [300, '0 */5 * * * *'],
    [3600, '0 0 * * * *'],
    [21600, '0 0 */6 * * *'],
    [86400, '0 0 0 * * *'],
  ])('%d s is %s', (interval, pattern) => {
    expect(intervalPattern(interval)).toBe(pattern);
  });

  // Starts chosen to cross a minute, an hour, a day, a leap day and a year in UTC.
  const STARTS = [
    Date.UTC(2024, 1, 28, 23, 59, 7, 500),
    Date.UTC(2023, 11, 31, 22, 0, 0),
    1_700_000_003_250,
  ];

  it.each(VALID_INTERVALS.map((v) => [v]))(
    'croner runs every %d s on multiples of it since the epoch',
    (interval) => {
      const source = new TickSource(tickPattern({ interval }));
      for (const start of STARTS) {
        let at = source.after(start) as number;
        expect(at).toBe((Math.floor(start / 1000 / interval) + 1) * interval * 1000);
        for (let i = 0; i < 30; i++) {
          const next = source.after(at) as number;
          expect(next - at).toBe(interval * 1000);
          expect((next / 1000) % interval).toBe(0);
          expect(source.atOrBefore(next + 999)).toBe(next);
          at = next;
        }
      }
    },
  );

  it('counts the runs a stall passed over exactly, on the grid and for a pattern', () => {
    const grid = new TickSource(tickPattern({ interval: 10 }));
    expect(grid.count(1_700_000_010_000, 1_700_000_042_000)).toBe(4);
    expect(grid.count(1_700_000_010_001, 1_700_000_040_000)).toBe(3);
    expect(grid.count(1_700_000_020_000, 1_700_000_010_000)).toBe(0);
    const cron = new TickSource(
      tickPattern({ interval: 10, cron: '*/10 * * * * *', timezone: 'UTC' }),
    );
    expect(cron.count(1_700_000_010_000, 1_700_000_042_000)).toBe(4);
    // A day at one run a second: counted up to the limit, the rest estimated from the gaps.
    const secondly = new TickSource(tickPattern({ interval: 10, cron: '* * * * * *' }));
    expect(secondly.count(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2) - 1)).toBe(86_400);
  });

  it.each([
    [7, 6, 10],
    [45, 30, 60],
    [90, 60, 120],
    [700, 600, 720],
    [5000, 3600, 7200],
    [50_000, 43_200, 86_400],
  ])('names the valid neighbours of %d: %d and %d', (interval, below, above) => {
    expect(nearestIntervals(interval)).toEqual({ below, above });
    const line = fileError({ poll: { interval } }, 'poll.interval', `use ${below} or ${above}`);
    expect(line).toContain('or poll.cron for any other schedule');
  });

  it('has nothing above a day', () => {
    expect(nearestIntervals(100_000)).toEqual({ below: 86_400 });
    fileError({ poll: { interval: 100_000 } }, 'poll.interval', 'got 100000: use 86400, or');
  });

  it('an invalid $POLL_INTERVAL is named with its source', () => {
    loadError({ env: { POLL_INTERVAL: '7' } }, '$POLL_INTERVAL: poll.interval: ', 'use 6 or 10');
  });
});

describe('poll.cron and poll.timezone', () => {
  it('loads a pattern and a time zone, from the file or the environment', () => {
    const file = loadConfig({
      env: {},
      overrides: { poll: { cron: '0 */15 * * * *', timezone: 'Europe/Berlin', timeout: 5 } },
    });
    expect(file.poll).toMatchObject({ cron: '0 */15 * * * *', timezone: 'Europe/Berlin' });
    const env = loadConfig({ env: { POLL_CRON: '0 * * * *', POLL_TIMEZONE: 'UTC' } });
    expect(env.poll).toMatchObject({ cron: '0 * * * *', timezone: 'UTC' });
  });

  it.each([
    ['not a pattern', 'exactly five, six, or seven space separated parts'],
    ['61 * * * * *', 'Invalid value for second: 61'],
    ['*/0 * * * * *', 'is not a cron pattern croner accepts'],
  ])('rejects %j naming poll.cron', (cron, fragment) => {
    fileError({ ...ONE_PLUG, poll: { cron } }, 'poll.cron', fragment);
  });

  it('rejects a pattern that never runs again, or only once more', () => {
    const once = `0 0 0 1 1 * ${new Date().getUTCFullYear() + 1}`;
    for (const cron of ['0 0 0 1 1 * 2001', once]) {
      fileError({ poll: { cron } }, 'poll.cron', 'does not run at least twice from now on');
    }
  });

  it('rejects a date, which croner would take as a one-off job', () => {
    fileError(
      { poll: { cron: '2030-01-01T00:00:00' } },
      'poll.cron',
      'is a date, not a recurring cron pattern',
    );
  });

  it('rejects an unknown time zone, and a time zone without a pattern', () => {
    fileError(
      { poll: { cron: '0 0 * * * *', timezone: 'Mars/Olympus' } },
      'poll.timezone',
      'must be an IANA time zone such as "Europe/Berlin"',
    );
    fileError(
      { poll: { timezone: 'Europe/Berlin' } },
      'poll.timezone',
      'applies to poll.cron only (the poll.interval grid is UTC)',
    );
  });

  it('holds poll.timeout below the shortest gap between the pattern runs', () => {
    fileError(
      { poll: { cron: '*/2 * * * * *', timeout: 2 } },
      'poll.timeout',
      '2 s must be below the shortest gap between poll.cron runs (2 s)',
    );
    // The interval is not used for timing once a pattern is set: 30 s fits every quarter hour.
    expect(
      loadConfig({ env: {}, overrides: { poll: { cron: '0 */15 * * * *', timeout: 30 } } }).poll
        .timeout,
    ).toBe(30);
  });
});

describe('the nominal interval', () => {
  const FROM = Date.UTC(2024, 0, 1); // a Monday
  it.each([
    [{ interval: 10 }, 10, 10],
    [{ interval: 900, cron: '0 */15 * * * *', timezone: '' }, 900, 900],
    [{ interval: 10, cron: '0 0 8-18 * * 1-5', timezone: 'UTC' }, 3600, 223_200],
    [{ interval: 10, cron: '0 0 */2 * * *', timezone: 'Europe/Berlin' }, 7200, 7200],
  ])('of %j: shortest gap %d s, longest %d s', (poll, minS, maxS) => {
    const p = { cron: '', timezone: '', ...poll };
    expect(cadence(tickPattern(p), FROM)).toEqual({ minS, maxS });
    expect(nominalIntervalS(p, FROM)).toBe(maxS);
  });

  it('sees daylight saving time in a local pattern (02:00 does not exist on 31 March)', () => {
    const poll = { interval: 10, cron: '0 0 */2 * * *', timezone: 'Europe/Berlin' };
    expect(cadence(tickPattern(poll), Date.UTC(2024, 2, 30))).toEqual({ minS: 7200, maxS: 10_800 });
  });
});
