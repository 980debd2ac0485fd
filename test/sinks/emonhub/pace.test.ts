import { describe, expect, it } from 'vitest';
import { Pace } from '../../../src/sinks/emonhub/pace.js';

const opts = { replayRate: 2, takeRate: 10, maxHeld: 20 };

describe('Pace: what the emonhub sink may send', () => {
  it('a live frame may go at once; a batch of them too', () => {
    const p = new Pace(opts, 0);
    p.pushed(0, 1, true);
    expect(p.allowed(0, 1)).toBe(1);
    for (let q = 2; q <= 15; q++) p.pushed(0, q, true);
    expect(p.allowed(0, 15)).toBe(15);
  });

  it('a backlog with no live frames goes at replayRate', () => {
    const p = new Pace(opts, 0);
    expect(p.allowed(0, 30)).toBe(0);
    expect(p.waitMs()).toBe(500);
    expect(p.allowed(499, 30)).toBe(0);
    expect(p.allowed(500, 30)).toBe(1);
    p.sent(500, 1, 29);
    expect(p.allowed(500, 29)).toBe(0);
    expect(p.allowed(1000, 29)).toBe(1);
  });

  it('credit never exceeds the frames queued: an idle sink saves up no burst', () => {
    const p = new Pace(opts, 0);
    expect(p.allowed(3_600_000, 0)).toBe(0);
    p.pushed(3_600_000, 1, true);
    expect(p.allowed(3_600_000, 1)).toBe(1);
  });

  it('frames queued while emonhub is down earn nothing, and no credit accrues until a send succeeds', () => {
    const p = new Pace(opts, 0);
    p.pushed(0, 1, true);
    p.failed();
    for (let q = 2; q <= 10; q++) p.pushed(0, q, false);
    expect(p.allowed(60_000, 10)).toBe(0);
    p.sent(60_000, 1, 9); // the retry got through
    expect(p.allowed(60_000, 9)).toBe(0);
    expect(p.allowed(60_500, 9)).toBe(1);
  });

  it("never more than maxHeld in emonhub's buffer; room is used in batches", () => {
    const p = new Pace(opts, 0);
    for (let q = 1; q <= 40; q++) p.pushed(0, q, true);
    expect(p.allowed(0, 40)).toBe(20);
    p.sent(0, 20, 20);
    expect(p.allowed(0, 20)).toBe(0);
    // 10 frames of room (a batch: half of maxHeld) after emonhub took 10, at 10/s.
    expect(p.waitMs()).toBe(1000);
    expect(p.allowed(900, 20)).toBe(0);
    expect(p.allowed(1000, 20)).toBe(10);
  });
});
