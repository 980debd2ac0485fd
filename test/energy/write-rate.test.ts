import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyTotals } from '../../src/energy/totals.js';
import { FailingFs } from '../fakes/failing-fs.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

const T0 = 1_700_000_000;
/**
 * Seconds left out at the start: a new device is written at once, and so is one whose first
 * increase outruns the slack before its rate is known (the write-ahead, `totals.ts`).
 */
const WARMUP_S = 180;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Counts the totals file's writes: each atomic write ends in one rename. */
class CountingFs extends FailingFs {
  writes = 0;
  constructor() {
    super();
    const rename = this.renameSync;
    this.renameSync = (a, b) => {
      this.writes++;
      rename(a, b);
    };
  }
}

/**
 * Polls `plugs` plugs every `intervalS` for `minutes`, plug `i` drawing `watts(i, s)` W at second
 * `s`, their counters in whole Wh as real firmware reports them (`total` with 3 decimals in kWh,
 * `total_wh`), and returns how often the file was written after {@link WARMUP_S} (the write on
 * close not counted).
 */
function run(
  watts: (i: number, s: number) => number,
  plugs: number,
  intervalS: number,
  minutes: number,
): { writes: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kasa-energy-rate-'));
  dirs.push(dir);
  const clock = new ManualClock(T0 * 1000);
  const fs = new CountingFs();
  const totals = new EnergyTotals({ dir, clock, log: memoryLogger().log, maxPower: 4000, fs });
  totals.load();
  const wh = Array.from({ length: plugs }, () => 0);
  const ticks = (minutes * 60) / intervalS;
  let afterWarmup = 0;
  for (let t = 0; t <= ticks; t++) {
    if (t > 0) clock.advance(intervalS * 1000);
    wh.forEach((_, i) => {
      wh[i] = (wh[i] as number) + (watts(i, t * intervalS) * intervalS) / 3600;
      totals.update(`plug${i}`, Math.floor(wh[i] as number) / 1000, T0 + t * intervalS);
    });
    if (t * intervalS === WARMUP_S) afterWarmup = fs.writes;
  }
  totals.close();
  return { writes: fs.writes - afterWarmup - 1 };
}

describe('EnergyTotals write rate', () => {
  // The file is written about once a minute at a steady draw; a write "ahead" of the minute
  // only when a plug's draw rises past what the last write allowed for (totals.ts). Counters
  // that step in whole Wh make a 1 s poll see 0 Wh, 0 Wh, …, 1 Wh: the rate the headroom is
  // sized from must not swing with them.
  const steady = (i: number): number => ([9, 65, 100, 150, 500, 1200, 2000, 3000][i % 8] ?? 0) + i;
  // A washer's heater: 180 W, and 2 kW for a quarter of every 6 minutes, phases spread.
  const cycling = (i: number, s: number): number => ((s + i * 37) % 360 < 90 ? 2080 : 180);

  it('steady draws polled every second, counters in whole Wh: one write a minute', () => {
    const { writes } = run(steady, 200, 1, 30);
    expect(writes).toBeLessThanOrEqual(28); // 331 with the rate of the last step alone
  });

  it('the same at 10 s ticks', () => {
    const { writes } = run(steady, 200, 10, 30);
    expect(writes).toBeLessThanOrEqual(28); // 41 with the rate of the last step alone
  });

  it('200 cycling loads: a write ahead only when a heater outruns its headroom', () => {
    const { writes } = run(cycling, 200, 1, 30);
    // A heater coming on outruns the headroom of the base load: those writes are the guarantee.
    expect(writes).toBeLessThanOrEqual(90); // 212 with the rate of the last step alone
  });
});
