/**
 * The poll schedule as a croner pattern (https://croner.56k.guru/usage/pattern/): the
 * harmonized interval `poll.interval` becomes a pattern evaluated in UTC whose runs are exact
 * multiples of the interval since the Unix epoch; `poll.cron` is taken as given, in
 * `poll.timezone` or the system's local time. The checks of those three keys live here, with the
 * nominal interval (the gap between consecutive runs) that every duration derived from the
 * schedule uses (`docs/scheduling.md`).
 */
import { Cron } from 'croner';
import { systemClock } from '../clock.js';
import { integer, show, type Check } from './checks.js';
import type { PollConfig } from './types.js';

const divisors = (n: number): number[] =>
  Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);

/**
 * Every value `poll.interval` may take, s, ascending: the divisors of 60 s, whole minutes that
 * divide an hour, whole hours that divide a day (1, 2, 3 … 30, 60, 120 … 1800, 3600, 7200 …
 * 86400). Only these fall on the same second of every minute, hour or day, so a cron pattern
 * can say them and every tick is a multiple of the interval since the epoch.
 */
export const VALID_INTERVALS: readonly number[] = [
  ...new Set([
    ...divisors(60).filter((s) => s < 60),
    ...divisors(60).map((m) => m * 60),
    ...divisors(24).map((h) => h * 3600),
  ]),
].sort((a, b) => a - b);

/**
 * The croner pattern (6 fields, seconds first) of a valid harmonized interval, meant to be
 * evaluated in UTC: Unix time has no leap seconds, so UTC midnight is a multiple of every valid
 * interval since the epoch.
 * @param intervalS one of {@link VALID_INTERVALS}
 * @returns e.g. `*\/10 * * * * *` for 10, `0 *\/5 * * * *` for 300, `0 0 *\/6 * * *` for 21600
 * @throws RangeError for any other value (the config check rejects those first)
 */
export function intervalPattern(intervalS: number): string {
  if (!VALID_INTERVALS.includes(intervalS)) {
    throw new RangeError(`${intervalS} s is not a harmonized interval`);
  }
  const every = (n: number): string => (n === 1 ? '*' : `*/${n}`);
  if (intervalS < 60) return `${every(intervalS)} * * * * *`;
  if (intervalS < 3600) return `0 ${every(intervalS / 60)} * * * *`;
  if (intervalS < 86400) return `0 0 ${every(intervalS / 3600)} * * *`;
  return '0 0 0 * * *';
}

/**
 * The valid intervals next to an invalid one, for the error message.
 * @param intervalS s, any number
 * @returns the largest valid value below and the smallest above (either may be absent)
 */
export function nearestIntervals(intervalS: number): { below?: number; above?: number } {
  const below = VALID_INTERVALS.filter((v) => v < intervalS).at(-1);
  const above = VALID_INTERVALS.find((v) => v > intervalS);
  return { ...(below === undefined ? {} : { below }), ...(above === undefined ? {} : { above }) };
}

/** `poll.interval`: an integer ≥ 1 out of {@link VALID_INTERVALS}; the message names the nearest. */
export const checkInterval: Check = (v) => {
  const notInteger = integer(1)(v);
  if (notInteger.length > 0 || VALID_INTERVALS.includes(v as number)) return notInteger;
  const { below, above } = nearestIntervals(v as number);
  const near = [below, above].filter((x) => x !== undefined).join(' or ');
  return [
    {
      message:
        `must divide 60 s, or be whole minutes that divide an hour, or whole hours that divide ` +
        `a day, so every tick falls on a multiple of it since the epoch; got ${show(v)}: use ` +
        `${near}, or poll.cron for any other schedule`,
    },
  ];
};

/** True when `zone` is a time zone name this Node knows (its Intl data). */
function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `poll.timezone`: `""` (the system's local time) or an IANA time zone name. */
export const checkTimezone: Check = (v) => {
  if (typeof v !== 'string') return [{ message: `must be a string, got ${show(v)}` }];
  if (v === '' || knownZone(v)) return [];
  return [
    {
      message: `must be an IANA time zone such as "Europe/Berlin" or "UTC", or "" for the system's local time; got ${show(v)}`,
    },
  ];
};

/**
 * `poll.cron`: `""` (ticks follow `poll.interval`) or a recurring croner pattern with at least
 * two runs to come. croner also takes an ISO date (a one-off job, recognised by its `:`); that
 * is refused, as is a pattern whose years are over.
 */
export const checkCron: Check = (v) => {
  if (typeof v !== 'string') return [{ message: `must be a string, got ${show(v)}` }];
  if (v === '') return [];
  const example = 'e.g. "0 */15 * * * *" for every quarter hour';
  if (v.includes(':')) {
    return [{ message: `is a date, not a recurring cron pattern (${example}); got ${show(v)}` }];
  }
  let cron: Cron;
  try {
    cron = new Cron(v, { paused: true });
  } catch (err) {
    const why = (err as Error).message.replace(/^CronPattern: /, '');
    return [{ message: `is not a cron pattern croner accepts (${why}); got ${show(v)}` }];
  }
  if (cron.nextRuns(2, new Date(systemClock.now())).length < 2) {
    return [{ message: `does not run at least twice from now on; got ${show(v)}` }];
  }
  return [];
};

/** What the schedule ticks on, resolved from the `poll` slice. */
export interface TickPattern {
  /** The croner pattern. */
  pattern: string;
  /**
   * Where the pattern is evaluated: `'UTC'` for the interval grid, else `poll.timezone` (an
   * IANA name), `undefined` for the system's local time.
   */
  timezone: string | undefined;
  /** The harmonized interval, s, when the pattern is `poll.interval`'s grid; else undefined. */
  intervalS: number | undefined;
  /** The key the pattern came from, for messages. */
  key: 'poll.interval' | 'poll.cron';
}

/**
 * The tick pattern of a `poll` slice: `poll.cron` when set, else the UTC grid of `poll.interval`.
 * @param poll the validated slice (`cron` and `timezone` absent or `""`: unset)
 * @throws RangeError when `poll.cron` is unset and `poll.interval` is not valid
 */
export function tickPattern(poll: Pick<PollConfig, 'interval' | 'cron' | 'timezone'>): TickPattern {
  if (poll.cron !== undefined && poll.cron !== '') {
    return {
      pattern: poll.cron,
      timezone: poll.timezone === '' ? undefined : poll.timezone,
      intervalS: undefined,
      key: 'poll.cron',
    };
  }
  return {
    pattern: intervalPattern(poll.interval),
    timezone: 'UTC',
    intervalS: poll.interval,
    key: 'poll.interval',
  };
}

/**
 * A croner job that only computes run times: paused, no callback, so croner arms no timer of
 * its own (the schedule waits on the injected clock, `docs/scheduling.md`).
 * @param ticks the resolved pattern
 * @throws Error from croner when the pattern or the time zone is invalid (checked at load)
 */
export function cronOf(ticks: TickPattern): Cron {
  // utcOffset 0 is UTC without Intl's time zone conversion, about 15 times faster per run.
  const where =
    ticks.timezone === 'UTC'
      ? { utcOffset: 0 }
      : ticks.timezone === undefined
        ? {}
        : { timezone: ticks.timezone };
  return new Cron(ticks.pattern, { paused: true, ...where });
}

/** The spacing of a schedule's runs, s. */
export interface Cadence {
  /** Shortest gap between two consecutive runs. */
  minS: number;
  /** Longest gap between two consecutive runs: the nominal interval durations derive from. */
  maxS: number;
}

/** Consecutive runs of `poll.cron` sampled to measure its {@link Cadence}. */
export const CADENCE_SAMPLE = 256;

/**
 * The nominal interval of a schedule: the gaps between consecutive runs. For the interval grid
 * both are `poll.interval`; for `poll.cron`, the shortest and longest gap among the next
 * {@link CADENCE_SAMPLE} runs after `fromMs` (an irregular pattern such as `0 0 8-18 * * 1-5`
 * gives 3600 and 223200).
 * @param ticks the resolved pattern
 * @param fromMs where the sample starts, ms since the epoch
 * @returns the gaps, s; both 0 when the pattern has fewer than two runs left
 */
export function cadence(ticks: TickPattern, fromMs: number): Cadence {
  if (ticks.intervalS !== undefined) return { minS: ticks.intervalS, maxS: ticks.intervalS };
  const runs = cronOf(ticks)
    .nextRuns(CADENCE_SAMPLE, new Date(fromMs))
    .map((d) => d.getTime());
  let minS = Infinity;
  let maxS = 0;
  for (let i = 1; i < runs.length; i++) {
    const gap = ((runs[i] as number) - (runs[i - 1] as number)) / 1000;
    minS = Math.min(minS, gap);
    maxS = Math.max(maxS, gap);
  }
  return runs.length < 2 ? { minS: 0, maxS: 0 } : { minS, maxS };
}

/**
 * The nominal interval of a `poll` slice, s: `poll.interval`, or the longest gap between the
 * next runs of `poll.cron` (see {@link cadence}). What `/healthz`, the systemd watchdog and the
 * energy step check hold ticks to.
 * @param poll the validated slice
 * @param fromMs now, ms since the epoch
 */
export function nominalIntervalS(
  poll: Pick<PollConfig, 'interval' | 'cron' | 'timezone'>,
  fromMs: number,
): number {
  return cadence(tickPattern(poll), fromMs).maxS;
}
