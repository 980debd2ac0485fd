import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyTotals, FLUSH_DELAY_MS } from '../../src/energy/totals.js';
import { Outbox, type OutboxOptions } from '../../src/storage/outbox.js';
import { FailingFs } from '../fakes/failing-fs.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

/**
 * A full or read-only `state.dir`: said once, running goes on from memory, no `*.tmp` is left
 * behind, and what was delivered is not sent again after a restart.
 */

const T0 = 1_700_000_000_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'kasa-unwritable-'));
  dirs.push(d);
  return d;
}

function outbox(
  dir: string,
  fs: FailingFs,
  clock: ManualClock,
  over: Partial<OutboxOptions<number>> = {},
) {
  const mem = memoryLogger();
  const box = new Outbox<number>({
    dir,
    name: 'box.json',
    maxEntries: 1000,
    maxBytes: 1 << 20,
    validateItem: (v) => v as number,
    log: mem.log,
    clock,
    fs,
    label: 'test outbox',
    unit: 'readings',
    ...over,
  });
  const errors = () => mem.lines.filter((l) => l['level'] >= 50).map((l) => String(l['msg']));
  const warnings = () => mem.lines.filter((l) => l['level'] === 40).map((l) => String(l['msg']));
  return { box, mem, errors, warnings };
}

/** A backlog of 27 readings written to disk while the destination was down. */
function backlog(dir: string, clock: ManualClock): void {
  const { box } = outbox(dir, new FailingFs(), clock);
  box.load();
  for (let i = 0; i < 27; i++) box.push(i);
  clock.advance(1000);
  box.close();
  expect(JSON.parse(readFileSync(path.join(dir, 'box.json'), 'utf8')).items).toHaveLength(27);
}

describe('an outbox whose state.dir cannot be written', () => {
  it.each(['read-only-dir', 'full'] as const)(
    '%s: delivered readings are recorded in place and not sent again after a restart',
    (mode) => {
      const dir = tempDir();
      const clock = new ManualClock(T0);
      backlog(dir, clock);
      const fs = new FailingFs();
      const a = outbox(dir, fs, clock);
      expect(a.box.load()).toMatchObject({ restored: 27 });
      fs.mode = mode; // the disk fills up, or the directory turns read-only
      a.box.shift(20); // delivered
      clock.advance(1000);
      a.box.push(27); // a new reading, kept in memory
      a.box.shift(7);
      clock.advance(1000);
      clock.advance(1000);
      a.box.close();
      expect(fs.failures).toBeGreaterThan(0);
      expect(a.errors()).toHaveLength(1); // said once
      expect(a.errors()[0]).toContain('keeping its items in memory');
      expect(readdirSync(dir)).toEqual(['box.json']); // no *.tmp left behind

      // Next start, the directory still as it is: nothing already delivered is sent again.
      const b = outbox(dir, fs, clock);
      expect(b.box.load()).toMatchObject({ restored: 0 });
      // And once writable again, likewise.
      fs.mode = 'ok';
      const c = outbox(dir, fs, clock);
      expect(c.box.load()).toMatchObject({ restored: 0 });
    },
  );

  it('a partly delivered backlog: only the undelivered rest is restored', () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    backlog(dir, clock);
    const fs = new FailingFs();
    const a = outbox(dir, fs, clock);
    a.box.load();
    fs.mode = 'read-only-dir';
    a.box.shift(10);
    clock.advance(1000);
    // A crash: no close().
    fs.mode = 'ok';
    const b = outbox(dir, fs, clock);
    expect(b.box.load()).toMatchObject({ restored: 17 });
    expect(b.box.peek(3)).toEqual([10, 11, 12]);
  });

  it('a read-only file system: said once; the restored readings are not sent at all', () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    backlog(dir, clock);
    const fs = new FailingFs();
    fs.mode = 'read-only-fs';
    const a = outbox(dir, fs, clock);
    // Their delivery could not be recorded: sending them would repeat at every start.
    expect(a.box.load()).toMatchObject({ restored: 0, heldBack: 27 });
    expect(a.warnings()).toEqual([expect.stringContaining('are not sent')]);
    a.box.push(1);
    clock.advance(1000);
    clock.advance(1000);
    a.box.shift(1);
    a.box.close();
    expect(a.errors()).toHaveLength(1);
    // The file is as it was: the readings are sent once the file system is writable again.
    fs.mode = 'ok';
    const b = outbox(dir, fs, clock);
    expect(b.box.load()).toMatchObject({ restored: 27 });
  });

  it('a full disk leaves no zero-byte *.tmp behind', () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const fs = new FailingFs();
    fs.mode = 'full';
    const a = outbox(dir, fs, clock);
    a.box.load();
    for (let i = 0; i < 5; i++) a.box.push(i);
    for (let i = 0; i < 5; i++) clock.advance(1000);
    a.box.close();
    expect(fs.failures).toBeGreaterThan(1);
    expect(readdirSync(dir)).toEqual([]);
    expect(a.errors()).toHaveLength(1);
  });
});

describe('energy totals whose state.dir cannot be written', () => {
  it('keep counting in memory, say so once, and leave no *.tmp', () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const fs = new FailingFs();
    const mem = memoryLogger();
    const totals = new EnergyTotals({ dir, clock, log: mem.log, maxPower: 4000, fs });
    totals.load();
    totals.update('a', 1, T0 / 1000);
    fs.mode = 'full';
    for (let i = 1; i <= 10; i++) {
      totals.update('a', 1 + i * 0.01, T0 / 1000 + 10 * i);
      clock.advance(FLUSH_DELAY_MS / 2);
    }
    expect(totals.get('a')?.total).toBeCloseTo(1.1, 9);
    expect(mem.lines.filter((l) => l['level'] === 40)).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['energy-totals.json']);
    fs.mode = 'ok';
    clock.advance(FLUSH_DELAY_MS);
    expect(mem.lines.some((l) => l['msg'] === 'energy totals saved again')).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'energy-totals.json'), 'utf8'))).toMatchObject({
      devices: { a: { last: 1.1 } },
    });
    totals.close();
  });
});

describe('a file where state.dir should be', () => {
  it('is said once; the outbox keeps its readings in memory', () => {
    const parent = tempDir();
    const dir = path.join(parent, 'state');
    writeFileSync(dir, 'not a directory');
    const clock = new ManualClock(T0);
    const a = outbox(dir, new FailingFs(), clock);
    a.box.load();
    for (let i = 0; i < 3; i++) a.box.push(i);
    for (let i = 0; i < 3; i++) clock.advance(1000);
    a.box.close();
    expect(a.errors()).toHaveLength(1);
    expect(a.box.peek(5)).toEqual([0, 1, 2]);
  });
});
