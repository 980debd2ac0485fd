import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JsonFile } from '../../src/storage/json-file.js';
import type { OutboxOptions } from '../../src/storage/outbox.js';
import { OUTBOX_VERSION, Outbox } from '../../src/storage/outbox.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

const isNumber = (raw: unknown): number => {
  if (typeof raw !== 'number') throw new Error(`${JSON.stringify(raw)} is not a number`);
  return raw;
};

describe('Outbox', () => {
  let dir: string;
  let clock: ManualClock;
  let mem: ReturnType<typeof memoryLogger>;
  const file = (): string => path.join(dir, 'box.json');
  const onDisk = (): unknown => JSON.parse(readFileSync(file(), 'utf8'));
  const make = (over: Partial<OutboxOptions<number>> = {}): Outbox<number> =>
    new Outbox<number>({
      dir,
      name: 'box.json',
      maxEntries: 100,
      maxBytes: 1 << 20,
      validateItem: isNumber,
      log: mem.log,
      clock,
      label: 'test outbox',
      unit: 'numbers',
      ...over,
    });
  const warnings = (): string[] =>
    mem.lines.filter((l) => l['level'] === 40).map((l) => String(l['msg']));

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-outbox-'));
    clock = new ManualClock(1_700_000_000_000);
    mem = memoryLogger();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('is a FIFO: peek, at and shift in push order', () => {
    const box = make();
    for (let i = 1; i <= 5; i++) box.push(i);
    expect(box.length).toBe(5);
    expect(box.peek(3)).toEqual([1, 2, 3]);
    expect(box.at(4)).toBe(5);
    expect(box.at(5)).toBeUndefined();
    expect(box.shift(2)).toEqual([1, 2]);
    expect(box.headSeq).toBe(2);
    expect(box.peek(10)).toEqual([3, 4, 5]);
    expect(box.shift(10)).toEqual([3, 4, 5]);
    expect(box.length).toBe(0);
    expect(box.bytes).toBe(0);
  });

  it('drops the oldest past maxEntries, counts them, warns when the episode begins and ends', () => {
    const box = make({ maxEntries: 3 });
    let dropped = 0;
    for (let i = 1; i <= 10; i++) dropped += box.push(i);
    expect(dropped).toBe(7);
    expect(box.dropped).toBe(7);
    expect(box.peek(10)).toEqual([8, 9, 10]);
    expect(warnings()).toEqual([
      'test outbox full (3 numbers or 1048576 bytes): dropping the oldest numbers',
    ]);
    box.shift(3); // delivered: the episode ends with its count
    expect(mem.lines.at(-1)).toMatchObject({ level: 40, dropped: 7, droppedTotal: 7 });
    expect(warnings()).toHaveLength(2);
    for (let i = 0; i < 4; i++) box.push(i); // a new episode warns again
    expect(warnings()).toHaveLength(3);
  });

  it('drops the oldest past maxBytes (sizeOf per item)', () => {
    const box = make({ maxBytes: 100, sizeOf: () => 30 });
    for (let i = 1; i <= 5; i++) box.push(i);
    expect(box.peek(10)).toEqual([3, 4, 5]);
    expect(box.bytes).toBe(90);
    expect(box.dropped).toBe(2);
    // Default size: the item's JSON length in bytes.
    const plain = make({ dir: undefined, maxBytes: 5 });
    for (const n of [1, 22, 333]) plain.push(n);
    expect(plain.peek(10)).toEqual([22, 333]);
    expect(plain.bytes).toBe(5);
  });

  it('survives a restart: what was pushed and not shifted is restored in order', () => {
    const a = make();
    for (let i = 1; i <= 6; i++) a.push(i);
    a.shift(2);
    a.close();
    expect(onDisk()).toEqual({ version: OUTBOX_VERSION, delivered: 0, items: [3, 4, 5, 6] });
    const b = make();
    expect(b.load()).toEqual({ restored: 4, dropped: 0 });
    b.push(7);
    expect(b.peek(10)).toEqual([3, 4, 5, 6, 7]);
    // Smaller bounds than the file: the oldest restored items go, counted.
    const c = make({ maxEntries: 2 });
    expect(c.load()).toEqual({ restored: 2, dropped: 2 });
    expect(c.peek(10)).toEqual([5, 6]);
  });

  it('debounces writes to one per persistMs, and writes nothing when the disk already agrees', () => {
    const box = make({ persistMs: 1000 });
    box.push(1);
    box.push(2);
    expect(existsSync(file())).toBe(false);
    clock.advance(999);
    expect(existsSync(file())).toBe(false);
    clock.advance(1);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2] });
    box.push(3);
    clock.advance(500);
    box.push(4);
    clock.advance(500); // one write for both, 1 s after the first change
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2, 3, 4] });

    // Pushed and delivered within the delay: no write at all.
    box.shift(4);
    clock.advance(1000);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [] });
    const mtime = readFileSync(file(), 'utf8');
    box.push(5);
    box.shift(1);
    expect(clock.pending).toBe(0);
    clock.advance(5000);
    expect(readFileSync(file(), 'utf8')).toBe(mtime);

    // flush() writes at once and cancels the pending write.
    box.push(6);
    expect(clock.pending).toBe(1);
    expect(box.flush()).toBe(true);
    expect(clock.pending).toBe(0);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [6] });
  });

  it('never writes while every item is delivered within persistMs, however many go through', () => {
    const box = make({ persistMs: 1000, maxEntries: 10_000 });
    // 30 s of a busy fleet: 500 items a second, each delivered 900 ms after it was pushed.
    let next = 0;
    for (let ms = 0; ms < 30_000; ms += 10) {
      for (let i = 0; i < 5; i++) box.push(next++);
      if (ms >= 900) box.shift(5);
      clock.advance(10);
    }
    expect(box.length).toBe(450);
    expect(existsSync(file())).toBe(false);
    // Delivery stalls: once the oldest item has waited persistMs, everything is written.
    box.push(next++);
    clock.advance(1000);
    expect((onDisk() as { items: number[] }).items).toHaveLength(451);
  });

  it('writes a backlog within persistMs of its first undelivered item, all of it, one write a second', () => {
    const box = make({ persistMs: 1000 });
    box.push(1);
    clock.advance(600);
    box.push(2);
    clock.advance(400); // item 1 waited 1 s: 1 and 2 are written
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2] });
    box.push(3);
    clock.advance(999);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2] });
    clock.advance(1);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2, 3] });
  });

  it('spaces writes ten times their own duration apart when the disk is slow', () => {
    const box = make({ persistMs: 1000 });
    const write = JsonFile.prototype.write;
    // Each write takes 300 ms of a stalled event loop: the next may start 3 s after it began.
    const slow = vi.spyOn(JsonFile.prototype, 'write').mockImplementation(function (
      this: JsonFile<unknown>,
      value: unknown,
    ) {
      clock.set(clock.now() + 300);
      write.call(this, value);
    });
    box.push(1);
    clock.advance(1000); // (advance ends at its own end time, whatever the write did)
    expect(slow).toHaveBeenCalledTimes(1);
    box.push(2);
    clock.advance(2999); // the first write began 2999 ms ago
    expect(slow).toHaveBeenCalledTimes(1);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1] });
    clock.advance(1);
    expect(slow).toHaveBeenCalledTimes(2);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2] });
    slow.mockRestore();
    // A fast write brings the spacing back to persistMs.
    box.push(3);
    clock.advance(3000);
    box.push(4);
    clock.advance(1000);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2, 3, 4] });
  });

  it('drops delivered items from the file without writing items younger than persistMs', () => {
    const box = make({ persistMs: 1000 });
    for (let i = 1; i <= 3; i++) box.push(i);
    clock.advance(1000);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1, 2, 3] });
    box.shift(3); // the backlog is delivered ...
    box.push(4); // ... and new items flow through quickly
    clock.advance(500);
    box.shift(1);
    box.push(5);
    clock.advance(500);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [] });
    box.shift(1);
    clock.advance(5000);
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [] });
  });

  it('writes everything on flush and close, young items included', () => {
    const box = make({ persistMs: 1000 });
    box.push(1);
    box.close();
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [1] });
    expect(clock.pending).toBe(0);
  });

  it('a memory-only outbox never touches the disk', () => {
    const box = make({ dir: undefined });
    expect(box.load()).toEqual({ restored: 0, dropped: 0 });
    box.push(1);
    clock.advance(10_000);
    box.close();
    expect(box.file).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['not JSON', '{"version":1,"items":[1,2'],
    ['truncated to nothing', ''],
    ['a wrong version', '{"version":2,"items":[1]}'],
    ['items not an array', '{"version":1,"items":{}}'],
    ['a delivered count that is not a count', '{"version":1,"delivered":-1,"items":[1]}'],
  ])('sets aside a file with %s, reports it, and starts empty', (_what, content) => {
    writeFileSync(file(), content);
    const box = make();
    const result = box.load();
    expect(result.restored).toBe(0);
    expect(result.setAside).toBe(`${file()}.corrupt-${clock.now()}`);
    expect(readFileSync(result.setAside ?? '', 'utf8')).toBe(content);
    expect(existsSync(file())).toBe(false);
    const warned = mem.lines.filter((l) => l['level'] === 40);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ file: file(), setAside: result.setAside });
    expect(String(warned[0]?.['msg'])).toContain('is corrupt');
    box.push(9);
    box.close();
    expect(onDisk()).toEqual({ version: 1, delivered: 0, items: [9] });
  });

  it('a failing write is logged once, retried, and the items stay in memory', () => {
    writeFileSync(path.join(dir, 'blocker'), 'a file where the state dir should be');
    const box = make({ dir: path.join(dir, 'blocker') });
    box.push(1);
    clock.advance(1000);
    clock.advance(1000);
    expect(box.flush()).toBe(false);
    expect(mem.lines.filter((l) => l['level'] === 50)).toHaveLength(1);
    expect(box.peek(5)).toEqual([1]);
    expect(clock.pending).toBe(1); // retry scheduled
  });
});
