import { describe, expect, it } from 'vitest';
import { LatestQueue, MAX_LATEST_TOPICS } from '../../../src/sinks/mqtt/latest-queue.js';
import type { SendFn } from '../../../src/sinks/mqtt/latest-queue.js';
import { SendWindow } from '../../../src/sinks/mqtt/send-window.js';
import type { MqttMessage } from '../../../src/sinks/mqtt/topics.js';
import { memoryLogger } from '../../fakes/memory-log.js';

/** A send function that keeps each message's completion for the test to call. */
function recorder(): { sent: MqttMessage[]; acks: ((err?: Error | null) => void)[]; send: SendFn } {
  const sent: MqttMessage[] = [];
  const acks: ((err?: Error | null) => void)[] = [];
  return {
    sent,
    acks,
    send: (m, _opts, done) => {
      sent.push(m);
      acks.push(done);
    },
  };
}

const msg = (topic: string, payload = 'x'): MqttMessage => ({ topic, payload, retain: true });

describe('SendWindow', () => {
  it('takes at most its limit, and offers a freed slot first to who did not take the last one', () => {
    const w = new SendWindow(2);
    const order: string[] = [];
    let readings = 3;
    let latest = 3;
    w.onRoom('readings', () => {
      while (readings > 0 && w.tryTake('readings')) {
        readings--;
        order.push('r');
      }
    });
    w.onRoom('latest', () => {
      while (latest > 0 && w.tryTake('latest')) {
        latest--;
        order.push('l');
      }
    });
    expect([w.tryTake('latest'), w.tryTake('latest'), w.tryTake('readings')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(w.inFlight).toBe(2);
    for (let i = 0; i < 6; i++) w.release();
    expect(order).toEqual(['r', 'l', 'r', 'l', 'r', 'l']);
    expect(w.inFlight).toBe(2);
    w.setLimit(0);
    expect(w.limit).toBe(1);
  });
});

describe('LatestQueue', () => {
  it('sends within the window, one message per topic waiting (the latest), urgent ones first', () => {
    const w = new SendWindow(1);
    const q = new LatestQueue(w, memoryLogger().log);
    const r = recorder();
    q.push(msg('a')); // paused: dropped
    q.resume(r.send);
    q.push(msg('a', '1'));
    q.push(msg('b', '1'));
    q.push(msg('c', '1'));
    q.push(msg('b', '2'));
    const done: unknown[] = [];
    q.pushFirst(msg('c', 'urgent'), 2, (err) => done.push(err));
    expect(r.sent.map((m) => `${m.topic}=${m.payload}`)).toEqual(['a=1']);
    expect(q.length).toBe(2); // b=2 and the urgent c; the waiting c=1 gave way to it
    while (r.acks.length > 0) r.acks.shift()?.();
    expect(r.sent.map((m) => `${m.topic}=${m.payload}`)).toEqual(['a=1', 'c=urgent', 'b=2']);
    expect(done).toEqual([undefined]);
    expect(w.inFlight).toBe(0);
  });

  it('drops what waits on pause, failing urgent ones; keeps in-flight ones counted', () => {
    const w = new SendWindow(1);
    const q = new LatestQueue(w, memoryLogger().log);
    const r = recorder();
    q.resume(r.send);
    q.push(msg('a'));
    q.push(msg('b'));
    const errors: string[] = [];
    q.pushFirst(msg('s'), 1, (err) => errors.push(String(err?.message)));
    q.pause();
    expect([q.length, w.inFlight, errors]).toEqual([0, 1, ['Connection closed']]);
    q.pushFirst(msg('s'), 1, (err) => errors.push(String(err?.message)));
    expect(errors).toHaveLength(2);
    r.acks[0]?.();
    expect(w.inFlight).toBe(0);
    expect(r.sent.map((m) => m.topic)).toEqual(['a']);
  });

  it('holds at most MAX_LATEST_TOPICS topics, warning once', () => {
    const w = new SendWindow(1);
    const log = memoryLogger();
    const q = new LatestQueue(w, log.log);
    q.resume(recorder().send);
    for (let i = 0; i < MAX_LATEST_TOPICS + 10; i++) q.push(msg(`t/${i}`));
    expect(q.length).toBe(MAX_LATEST_TOPICS); // one in flight, the rest waiting
    q.push(msg('t/5', 'new')); // a waiting topic is still replaced
    expect(q.length).toBe(MAX_LATEST_TOPICS);
    expect(log.lines.filter((l) => l['level'] === 40)).toHaveLength(1);
  });
});
