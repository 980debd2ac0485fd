import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import {
  AvailabilitySweep,
  SWEEP_MAX_TOPICS,
  type SweepHooks,
} from '../../../src/sinks/mqtt/stale-availability.js';
import { systemClock } from '../../../src/clock.js';
import { memoryLogger } from '../../fakes/memory-log.js';

/** The part of MQTT.js's client a sweep uses, recording what it was asked. */
function fakeClient(granted = 1): {
  client: MqttClient;
  subscribed: string[][];
  published: { topic: string; payload: string }[];
} {
  const subscribed: string[][] = [];
  const published: { topic: string; payload: string }[] = [];
  const client = {
    subscribe(topics: string[], _opts: unknown, cb: (err: Error | null, g: unknown[]) => void) {
      subscribed.push(topics);
      cb(
        null,
        topics.map((topic) => ({ topic, qos: granted })),
      );
    },
    publish(topic: string, payload: string) {
      published.push({ topic, payload });
    },
  } as unknown as MqttClient;
  return { client, subscribed, published };
}

function hooks(online: string[] = []): SweepHooks & { marked: string[]; done: Mock<() => void> } {
  const marked: string[] = [];
  return {
    marked,
    onlineNow: (topic) => online.includes(topic),
    publish: (topic, payload) => {
      expect(payload).toBe('offline');
      marked.push(topic);
    },
    done: vi.fn<() => void>(),
  };
}

describe('sweep of availability an earlier run left online', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('subscribes to both availability levels and the sync topic, then publishes a nonce there', () => {
    const { client, subscribed, published } = fakeClient();
    const sweep = new AvailabilitySweep('home/kasa', memoryLogger().log, systemClock);
    sweep.start(client, hooks());
    expect(subscribed).toEqual([
      ['home/kasa/+/availability', 'home/kasa/+/+/availability', 'home/kasa/bridge/sync'],
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ topic: 'home/kasa/bridge/sync' });
    expect(published[0]!.payload).toMatch(/^[0-9a-f]{16}$/);
  });

  it('marks retained `online`s offline when its nonce returns, except those this run read; then done', () => {
    const { client, published } = fakeClient();
    const h = hooks(['kasa/kettle/availability']);
    const sweep = new AvailabilitySweep('kasa', memoryLogger().log, systemClock);
    sweep.start(client, h);
    const nonce = published[0]!.payload;
    for (const [topic, payload, retained] of [
      ['kasa/kettle/availability', 'online', true],
      ['kasa/lamp/availability', 'online', true],
      ['kasa/strip/monitor/availability', 'online', true],
      ['kasa/gone/availability', 'offline', true],
      ['kasa/live/availability', 'online', false], // published now, not replayed
    ] as const) {
      expect(sweep.onMessage(topic, payload, retained)).toBe(true);
    }
    expect(sweep.onMessage('kasa/bridge/sync', 'someone-else', false)).toBe(true);
    expect(h.done).not.toHaveBeenCalled();
    expect(sweep.onMessage('kasa/bridge/sync', nonce, false)).toBe(true);
    expect(h.marked).toEqual(['kasa/lamp/availability', 'kasa/strip/monitor/availability']);
    expect(h.done).toHaveBeenCalledTimes(1);
    expect(sweep.running).toBe(false);
    // Later echoes of the sink's own availability are taken and dropped; other topics pass.
    expect(sweep.onMessage('kasa/lamp/availability', 'online', false)).toBe(true);
    expect(sweep.onMessage('kasa/lamp/set', 'ON', false)).toBe(false);
    expect(sweep.onMessage('kasa/a/b/c/availability', 'online', true)).toBe(false);
    expect(h.marked).toHaveLength(2);
  });

  it('gives up after its bound when the nonce never returns, warning once, and is done', () => {
    const { client } = fakeClient();
    const { log, lines } = memoryLogger();
    const sweep = new AvailabilitySweep('kasa', log, systemClock, 500);
    const h = hooks();
    sweep.start(client, h);
    sweep.onMessage('kasa/lamp/availability', 'online', true);
    vi.advanceTimersByTime(499);
    expect(h.done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(h.done).toHaveBeenCalledTimes(1);
    expect(h.marked).toEqual(['kasa/lamp/availability']);
    const h2 = hooks();
    sweep.start(client, h2);
    vi.advanceTimersByTime(500);
    expect(h2.done).toHaveBeenCalledTimes(1);
    expect(lines.filter((l) => l.msg.includes('did not echo'))).toHaveLength(1);
  });

  it('is done at once when the broker refuses the subscription', () => {
    const { client, published } = fakeClient(128);
    const { log, lines } = memoryLogger();
    const h = hooks();
    new AvailabilitySweep('kasa', log, systemClock).start(client, h);
    expect(h.done).toHaveBeenCalledTimes(1);
    expect(published).toEqual([]);
    expect(lines.some((l) => l.msg.includes('refused the availability subscriptions'))).toBe(true);
  });

  it('a cancelled sweep (connection lost) never calls done', () => {
    const { client, published } = fakeClient();
    const h = hooks();
    const sweep = new AvailabilitySweep('kasa', memoryLogger().log, systemClock, 500);
    sweep.start(client, h);
    sweep.cancel();
    sweep.onMessage('kasa/bridge/sync', published[0]!.payload, false);
    vi.advanceTimersByTime(1000);
    expect(h.done).not.toHaveBeenCalled();
  });

  it('corrects at most SWEEP_MAX_TOPICS topics per connect', () => {
    const { client, published } = fakeClient();
    const h = hooks();
    const sweep = new AvailabilitySweep('kasa', memoryLogger().log, systemClock);
    sweep.start(client, h);
    for (let i = 0; i < SWEEP_MAX_TOPICS + 10; i++)
      sweep.onMessage(`kasa/d${i}/availability`, 'online', true);
    sweep.onMessage('kasa/bridge/sync', published[0]!.payload, false);
    expect(h.marked).toHaveLength(SWEEP_MAX_TOPICS);
  });
});
