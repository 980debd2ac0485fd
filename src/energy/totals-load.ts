/**
 * Reading `energy-totals.json` at start (the keeping and writing are `totals.ts`'s): what it
 * holds, what was dropped, and the log lines that say so.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { JsonFile } from '../storage/json-file.js';
import type { ParsedTotals, TotalsDocument } from './totals-file.js';

/** Warnings about dropped entries logged at most per load; the rest are counted. */
const MAX_DROP_LINES = 10;

/** What `EnergyTotals.load` found. */
export type TotalsLoadOutcome =
  | { status: 'missing' }
  | { status: 'ok'; devices: number; dropped: number }
  | { status: 'corrupt'; setAside: string; reason: string }
  | { status: 'unreadable'; reason: string };

/**
 * Reads the totals file. Never throws: bad entries are dropped and logged, a corrupt file is
 * set aside, an unreadable one (permissions) is left alone; all are logged at warn.
 * @param file the totals file
 * @param ctx logger, and the clock that names a set-aside copy
 * @returns the outcome, and the entries read when the file was an intact totals document
 */
export function loadTotals(
  file: JsonFile<ParsedTotals, TotalsDocument>,
  ctx: { log: Logger; clock: Clock },
): { outcome: TotalsLoadOutcome; devices?: ParsedTotals } {
  const { log, clock } = ctx;
  const path = file.file;
  let outcome: TotalsLoadOutcome;
  let devices: ParsedTotals | undefined;
  try {
    const read = file.read(clock.now());
    if (read.status === 'ok') {
      devices = read.value;
      const { dropped } = devices;
      outcome = { status: 'ok', devices: devices.devices.size, dropped: dropped.length };
      for (const { key, reason } of dropped.slice(0, MAX_DROP_LINES)) {
        log.warn(
          { file: path, key, reason },
          `energy totals: entry ${JSON.stringify(key)} dropped (${reason}); that device starts fresh`,
        );
      }
    } else outcome = read;
  } catch (err) {
    outcome = { status: 'unreadable', reason: err instanceof Error ? err.message : String(err) };
  }
  if (outcome.status === 'ok')
    log.info(
      { file: path, devices: outcome.devices, dropped: outcome.dropped },
      'energy totals restored',
    );
  else if (outcome.status === 'missing')
    log.info({ file: path }, 'no energy totals yet: starting fresh');
  else {
    log.warn(
      { file: path, ...outcome },
      `energy totals file ${outcome.status}: totals restart from the plugs' current values`,
    );
  }
  return devices === undefined ? { outcome } : { outcome, devices };
}
