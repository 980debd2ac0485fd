import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyTotals, FLUSH_DELAY_MS } from '../../src/energy/totals.js';
import { TOTALS_FILE } from '../../src/energy/totals-file.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

const T0 = 1_700_000_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'kasa-energy-'));
  dirs.push(d);
  return d;
}

/** A started EnergyTotals on `dir` (a fresh temp dir by default). */
function open(dir = tempDir(), maxPower?: number) {
  const clock = new ManualClock(T0 * 1000);
  const mem = memoryLogger();
  const totals = new EnergyTotals({ dir, clock, log: mem.log, maxPower });
  const loaded = totals.load();
  /** Feeds since-boot values 10 s apart; returns the totals. */
  const feed = (key: string, values: number[], start = T0): number[] =>
    values.map((e, i) => totals.update(key, e, start + 10 * i));
  return { dir, clock, mem, totals, loaded, feed };
}

const stored = (dir: string): unknown =>
  JSON.parse(readFileSync(path.join(dir, TOTALS_FILE), 'utf8'));

describe('EnergyTotals.update', () => {
  it('starts at the plug counter and adds each increase', () => {
    const { feed } = open();
    expect(feed('a', [1.25, 1.5, 1.5, 2])).toEqual([1.25, 1.5, 1.5, 2]);
  });

  it('a reset to 0 adds nothing, then growth counts again', () => {
    const { feed } = open();
    expect(feed('a', [2, 2.5, 0, 0.25, 0.75])).toEqual([2, 2.5, 2.5, 2.75, 3.25]);
  });

  it('a dip adds nothing; climbing back counts the dip again (documented cost)', () => {
    const { feed } = open();
    const t = feed('a', [5, 4.999, 5]);
    expect(t[1]).toBe(5);
    expect(t[2]).toBeCloseTo(5.001, 9);
  });

  it('legacy float noise neither decreases the total nor inflates it', () => {
    const { feed } = open();
    const e = 1.2345;
    const noisy = [e + Number.EPSILON, e, e + Number.EPSILON, e - Number.EPSILON, e];
    const t = feed('a', noisy);
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]!);
    expect(t.at(-1)).toBeCloseTo(1.2345, 12);
  });

  it('keeps devices apart', () => {
    const { totals } = open();
    totals.update('a', 1, T0);
    totals.update('b', 7, T0);
    expect(totals.update('a', 2, T0 + 10)).toBe(2);
    expect(totals.size).toBe(2);
    expect(totals.get('b')).toEqual({ total: 7, last: 7, updated: T0 });
  });

  it('never decreases, and equals the sum of positive steps (5000 seeded random steps)', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const { totals } = open(undefined, 4000);
    let energy = rnd() * 50;
    let expected = energy;
    let before = totals.update('p', energy, T0);
    for (let i = 1; i <= 5000; i++) {
      const r = rnd();
      const next =
        r < 0.02
          ? 0 // plug reboot
          : r < 0.1
            ? Math.max(0, energy - rnd() * 1e-3) // dip
            : r < 0.15
              ? energy + 1e-13 * (rnd() - 0.5) // float noise
              : r < 0.2
                ? energy // steady
                : energy + rnd() * 0.01; // up to 3.6 kW over 10 s
      const nextEnergy = Math.max(0, next);
      if (nextEnergy > energy) expected += nextEnergy - energy;
      energy = nextEnergy;
      const total = totals.update('p', energy, T0 + 10 * i);
      expect(total).toBeGreaterThanOrEqual(before);
      before = total;
    }
    expect(before).toBeCloseTo(expected, 9);
  });

  it('ignores an implausible counter jump, up and back down', () => {
    const { feed, mem } = open(undefined, 4000);
    // 10 s at ≤ 4000 W is ≤ 0.011 kWh: 500 kWh is a glitch.
    const t = feed('a', [1, 1.005, 500, 1.01, 1.02]);
    expect(t[2]).toBe(1.005);
    expect(t[3]).toBe(1.005);
    expect(t[4]).toBeCloseTo(1.015, 9);
    expect(mem.lines.some((l) => l['msg'] === 'implausible energy counter step ignored')).toBe(
      true,
    );
  });

  it('throws on a negative energy (the caller filters first)', () => {
    const { totals } = open();
    expect(() => totals.update('a', -1, T0)).toThrow(RangeError);
  });
});

describe('EnergyTotals.preview and commit', () => {
  it('preview changes nothing; commit applies the step as update would', () => {
    const { totals, feed, mem } = open(undefined, 4000);
    feed('a', [2]);
    const before = totals.get('a');
    const step = totals.preview('a', 0.5, T0 + 10);
    expect(step).toMatchObject({ kind: 'reset', entry: { total: 2, last: 0.5 } });
    expect(totals.preview('a', 0.5, T0 + 10)).toEqual(step);
    expect(totals.get('a')).toEqual(before);
    expect(mem.lines.some((l) => String(l['msg']).includes('went down'))).toBe(false);
    expect(totals.commit('a', step)).toBe(2);
    expect(totals.get('a')).toEqual({ total: 2, last: 0.5, updated: T0 + 10 });
    expect(mem.lines.find((l) => String(l['msg']).includes('went down'))).toMatchObject({
      key: 'a',
      last: 2,
      energy: 0.5,
      total: 2,
    });
    expect(totals.update('a', 0.5078125, T0 + 20)).toBe(2.0078125);
  });
});

describe('EnergyTotals.aheadDue', () => {
  it('tells when writeAhead would write: many commits, one write covers them all', () => {
    const { dir, totals } = open(undefined, 4000);
    expect(totals.aheadDue).toBe(false);
    for (const key of ['a', 'b', 'c']) totals.commit(key, totals.preview(key, 1, T0));
    expect(totals.aheadDue).toBe(true); // new devices
    expect(totals.writeAhead()).toBe(true);
    expect(totals.aheadDue).toBe(false);
    const saved = stored(dir) as { devices: Record<string, { ceiling: number }> };
    expect(Object.keys(saved.devices).sort()).toEqual(['a', 'b', 'c']);
    for (const e of Object.values(saved.devices)) expect(e.ceiling).toBeGreaterThanOrEqual(1);
    // Steady: within the ceilings, nothing to write first.
    for (const key of ['a', 'b', 'c']) totals.commit(key, totals.preview(key, 1, T0 + 10));
    expect(totals.aheadDue).toBe(false);
    // A counter that went down must be on disk first.
    totals.commit('b', totals.preview('b', 0.5, T0 + 20));
    expect(totals.aheadDue).toBe(true);
  });

  it('is false while writes fail: readings are not held for a write that cannot happen', () => {
    const dir = path.join(tempDir(), 'not-a-dir');
    writeFileSync(dir, 'a file where state.dir should be');
    const { totals } = open(dir, 4000);
    totals.commit('a', totals.preview('a', 1, T0));
    expect(totals.aheadDue).toBe(true);
    expect(totals.writeAhead()).toBe(false);
    expect(totals.aheadDue).toBe(false);
  });
});

describe('EnergyTotals persistence', () => {
  it('writes a new device at once, then at most once a minute, and on close', () => {
    const { dir, clock, totals } = open(undefined, 4000);
    totals.update('a', 1, T0);
    totals.update('b', 2, T0);
    // New devices: the file must hold them before their first total is published.
    expect(stored(dir)).toMatchObject({
      devices: { a: { total: 1, last: 1, updated: T0 }, b: { total: 2, last: 2, updated: T0 } },
    });
    const mtime = (): string => readFileSync(path.join(dir, TOTALS_FILE), 'utf8');
    const written = mtime();
    expect(clock.pending).toBe(1);
    clock.advance(FLUSH_DELAY_MS - 1);
    totals.update('b', 2.001, T0 + 10); // 1 Wh: within b's ceiling, no write yet
    expect(mtime()).toBe(written);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    expect(stored(dir)).toMatchObject({ devices: { b: { total: 2.001, last: 2.001 } } });
    totals.update('a', 1.001, T0 + 20);
    totals.close();
    totals.close();
    expect(clock.pending).toBe(0);
    // On close the ceilings are the totals: nothing more is published.
    expect(stored(dir)).toEqual({
      version: 1,
      devices: {
        a: { total: 1.001, last: 1.001, updated: T0 + 20, ceiling: 1.001 },
        b: { total: 2.001, last: 2.001, updated: T0 + 10, ceiling: 2.001 },
      },
    });
  });

  it('restores the totals in a new instance (collector restart)', () => {
    const first = open();
    first.feed('a', [1, 2, 3]);
    first.totals.close();
    const second = open(first.dir);
    expect(second.loaded).toEqual({ status: 'ok', devices: 1, dropped: 0 });
    expect(second.mem.lines.some((l) => l['msg'] === 'energy totals restored')).toBe(true);
    // The plug kept counting while the collector was down: that energy is counted.
    expect(second.totals.update('a', 3.4, T0 + 600)).toBeCloseTo(3.4, 9);
  });

  it('a plug reboot while the collector was down keeps the total, then it grows', () => {
    const first = open();
    first.feed('a', [4, 5]);
    first.totals.close();
    const second = open(first.dir);
    expect(second.totals.get('a')).toMatchObject({ total: 5, last: 5 });
    expect(second.totals.update('a', 0.2, T0 + 3600)).toBe(5);
    expect(second.totals.update('a', 0.5, T0 + 3610)).toBeCloseTo(5.3, 9);
  });

  it.each([
    ['truncated', '{"version":1,"devices":{"a":{"total":12.5,"la'],
    ['empty', ''],
    ['wrong version', '{"version":2,"devices":{}}'],
    ['not an object', '[1,2,3]'],
  ])('a %s file is set aside with a warning, and counting starts fresh', (_what, text) => {
    const dir = tempDir();
    writeFileSync(path.join(dir, TOTALS_FILE), text);
    const { loaded, mem, totals } = open(dir);
    expect(loaded.status).toBe('corrupt');
    const aside = readdirSync(dir).filter((f) => f.startsWith(`${TOTALS_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!), 'utf8')).toBe(text);
    const warn = mem.lines.find((l) => l['level'] === 40);
    expect(String(warn?.['msg'])).toContain('corrupt');
    expect(totals.size).toBe(0);
    expect(totals.update('a', 3, T0)).toBe(3);
  });

  it('a failed write is logged once, never thrown, and retried', () => {
    const dir = path.join(tempDir(), 'not-a-dir');
    writeFileSync(dir, 'a file where the state dir should be');
    const { clock, mem, totals } = open(dir);
    totals.update('a', 1, T0);
    clock.advance(FLUSH_DELAY_MS);
    totals.update('a', 2, T0 + 10);
    clock.advance(FLUSH_DELAY_MS);
    expect(mem.lines.filter((l) => l['level'] === 40)).toHaveLength(1);
    expect(totals.flush()).toBe(false);
    expect(totals.get('a')?.total).toBe(2);
  });
});
