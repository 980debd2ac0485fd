import { describe, expect, it } from 'vitest';
import { LogThrottle, MAX_KEY_CHARS, heldNote } from '../../src/log/throttle.js';
import { ManualClock } from '../fakes/manual-clock.js';

describe('LogThrottle', () => {
  it('lets a key through once per perKeyMs and counts what it held back', () => {
    const clock = new ManualClock(0);
    const t = new LogThrottle(clock, { perKeyMs: 60_000 });
    expect(t.take('fridge')).toBe(0);
    expect(t.take('fridge')).toBeUndefined();
    expect(t.take('fridge')).toBeUndefined();
    expect(t.take('kettle')).toBe(2); // another key: goes out, and says 2 were held
    clock.advance(59_999);
    expect(t.take('fridge')).toBeUndefined();
    clock.advance(1);
    expect(t.take('fridge')).toBe(1);
  });

  it('with perKeyMs Infinity lets each key through once while it is remembered', () => {
    const clock = new ManualClock(0);
    const t = new LogThrottle(clock, { perKeyMs: Infinity, maxKeys: 2 });
    expect(t.take('a')).toBe(0);
    clock.advance(3_600_000);
    expect(t.take('a')).toBeUndefined();
    expect(t.take('b')).toBe(1);
    expect(t.take('c')).toBe(0); // forgets a, the least recently let through
    expect(t.size).toBe(2);
    expect(t.take('b')).toBeUndefined();
    expect(t.take('a')).toBe(1);
  });

  it('caps lines per window over all keys, whatever the keys', () => {
    const clock = new ManualClock(0);
    const t = new LogThrottle(clock, {
      perKeyMs: Infinity,
      maxKeys: 100,
      maxPerWindow: 10,
      windowMs: 60_000,
    });
    let out = 0;
    for (let i = 0; i < 60_000; i++) if (t.take(`name${i}`) !== undefined) out++;
    expect(out).toBe(10);
    expect(t.size).toBeLessThanOrEqual(100);
    clock.advance(60_000);
    expect(t.take('another')).toBe(59_990);
  });

  it('remembers a long key by a bounded stand-in, still telling different keys apart', () => {
    const clock = new ManualClock(0);
    const t = new LogThrottle(clock, { perKeyMs: Infinity });
    const a = `${'x'.repeat(4096)}a`;
    const b = `${'x'.repeat(4096)}b`;
    expect(t.take(a)).toBe(0);
    expect(t.take(a)).toBeUndefined();
    expect(t.take(b)).toBe(1);
    expect(MAX_KEY_CHARS).toBeLessThan(4096);
  });

  it.each([
    [0, ''],
    [1, ' (1 similar line not logged)'],
    [998, ' (998 similar lines not logged)'],
  ])('heldNote(%i) is %j', (held, note) => {
    expect(heldNote(held)).toBe(note);
  });
});
