import { describe, expect, it } from 'vitest';
import { HeldCalls } from '../../src/collector/held-calls.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { nextLoopTurn } from '../fakes/wait.js';

describe('HeldCalls', () => {
  it('runs a call at once when it needs no write and nothing is held', () => {
    const { log } = memoryLogger();
    const events: string[] = [];
    const held = new HeldCalls(() => events.push('write'), log);
    held.run(() => events.push('a'), false);
    expect(events).toEqual(['a']);
    expect(held.empty).toBe(true);
  });

  it('shares one write among the calls of a loop turn, then runs them in arrival order', async () => {
    const { log } = memoryLogger();
    const events: string[] = [];
    const held = new HeldCalls(() => events.push('write'), log);
    held.run(() => events.push('a'), true);
    held.run(() => events.push('b'), false); // queues behind a held call: order is kept
    held.run(() => events.push('c'), true);
    expect(events).toEqual([]);
    expect(held.empty).toBe(false);
    await nextLoopTurn();
    expect(events).toEqual(['write', 'a', 'b', 'c']);
    expect(held.empty).toBe(true);
  });

  it('flushes on demand, and a call that throws does not stop the others', async () => {
    const { log, lines } = memoryLogger();
    const events: string[] = [];
    const held = new HeldCalls(() => events.push('write'), log);
    held.run(() => {
      throw new Error('sink bug');
    }, true);
    held.run(() => events.push('b'), true);
    held.flush();
    expect(events).toEqual(['write', 'b']);
    expect(lines.some((l) => l.msg.includes('a sink threw on a held reading'))).toBe(true);
    await nextLoopTurn(); // the queued flush finds nothing left: no second write
    expect(events).toEqual(['write', 'b']);
  });
});
