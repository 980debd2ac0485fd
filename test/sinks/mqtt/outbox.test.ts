import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/storage/outbox.js';
import { MqttOutbox } from '../../../src/sinks/mqtt/outbox.js';
import type { PublishFn } from '../../../src/sinks/mqtt/outbox.js';
import {
  createMqttOutbox,
  entryBytes,
  entryValidator,
} from '../../../src/sinks/mqtt/outbox-store.js';
import { readingMessages } from '../../../src/sinks/mqtt/topics.js';
import type { MqttMessage } from '../../../src/sinks/mqtt/topics.js';
import { makeReading, mqttConfig } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';

/** An entry of `n` messages for reading `t`. */
const entry = (t: number, n = 2): MqttMessage[] =>
  Array.from({ length: n }, (_, i) => ({
    topic: i === 0 ? 'kasa/x' : `kasa/x/f${i}`,
    payload: String(t),
    retain: i === 0,
  }));

/** A publisher that records each publish and lets the test complete it. */
function fakePublisher(): {
  publish: PublishFn;
  sent: { m: MqttMessage; done: (err?: Error) => void }[];
  ackAll(err?: Error): void;
} {
  const sent: { m: MqttMessage; done: (err?: Error) => void }[] = [];
  return {
    publish: (m, done) => sent.push({ m, done }),
    sent,
    ackAll(err) {
      for (const s of sent.splice(0)) s.done(err);
    },
  };
}

function make(
  window = 3,
  maxEntries = 100,
): { box: MqttOutbox; log: ReturnType<typeof memoryLogger> } {
  const log = memoryLogger();
  const queue = new Outbox<MqttMessage[]>({
    dir: undefined,
    name: 'x.json',
    maxEntries,
    maxBytes: 1 << 20,
    validateItem: entryValidator('kasa'),
    log: log.log,
  });
  return { box: new MqttOutbox(queue, window, log.log), log };
}

const payloads = (sent: { m: MqttMessage }[]): string[] =>
  sent.filter((s) => s.m.retain).map((s) => s.m.payload);

describe('MqttOutbox', () => {
  it('publishes only while resumed, oldest first, at most `window` messages unacknowledged', () => {
    const { box } = make(6);
    const pub = fakePublisher();
    for (let t = 1; t <= 5; t++) box.push(entry(t));
    expect(pub.sent).toHaveLength(0);
    box.resume(pub.publish);
    expect(payloads(pub.sent)).toEqual(['1', '2', '3']);
    expect(box.inFlight).toBe(3);
    pub.sent[0]?.done(); // half of entry 1: it stays
    expect(box.length).toBe(5);
    pub.sent[1]?.done();
    expect(box.length).toBe(4);
    expect(box.sent).toBe(1);
    expect(payloads(pub.sent)).toEqual(['1', '2', '3', '4']);
  });

  it('counts the window in messages, and lets one out per acknowledgement, entries split', () => {
    const { box } = make(5);
    const pub = fakePublisher();
    box.push(entry(1, 8));
    box.push(entry(2, 2));
    box.resume(pub.publish);
    const all = (): string[] => pub.sent.map((x) => x.m.payload);
    expect(all()).toEqual(['1', '1', '1', '1', '1']); // 5 of the 8 messages of entry 1
    pub.sent[0]?.done();
    expect(all()).toHaveLength(6); // one acknowledged, one more out
    expect(box.length).toBe(2);
    for (const x of pub.sent.splice(0, 6)) x.done();
    expect(all()).toEqual(['1', '1', '2', '2']); // the rest of entry 1, then entry 2
    expect(box.sent).toBe(0);
    box.setWindow(6); // e.g. a new CONNACK's Receive Maximum
    expect(box.window).toBe(6);
    pub.ackAll();
    expect(box.length).toBe(0);
    expect(box.sent).toBe(2);
  });

  it('takes a null error as success (what MQTT.js passes after a PUBACK)', () => {
    const { box } = make(3);
    box.push(entry(1, 1));
    box.resume((_m, done) => done(null));
    expect(box.length).toBe(0);
    expect(box.sent).toBe(1);
  });

  it('removes entries acknowledged out of order only once the head is acknowledged', () => {
    const { box } = make(3);
    const pub = fakePublisher();
    for (let t = 1; t <= 3; t++) box.push(entry(t, 1));
    box.resume(pub.publish);
    pub.sent[2]?.done();
    pub.sent[1]?.done();
    expect(box.length).toBe(3);
    pub.sent[0]?.done();
    expect(box.length).toBe(0);
    expect(box.sent).toBe(3);
  });

  it('does not re-send entries in flight at a disconnect (MQTT.js does), and resumes after them', () => {
    const { box } = make(2);
    const pub = fakePublisher();
    for (let t = 1; t <= 4; t++) box.push(entry(t, 1));
    box.resume(pub.publish);
    box.pause();
    const before = pub.sent.splice(0);
    box.resume(pub.publish);
    expect(pub.sent).toHaveLength(0); // 1 and 2 are MQTT.js's to re-send
    for (const s of before) s.done(); // their acks come after the reconnect
    expect(payloads(pub.sent)).toEqual(['3', '4']);
    pub.ackAll();
    expect(box.length).toBe(0);
  });

  it('after a socket-level failure, pauses and re-sends everything from the head on resume', () => {
    const { box } = make(3);
    const pub = fakePublisher();
    for (let t = 1; t <= 3; t++) box.push(entry(t, 1));
    box.resume(pub.publish);
    const first = pub.sent.splice(0);
    first[1]?.done(new Error('Connection closed'));
    first[0]?.done(); // late ack of the discarded window: ignored
    box.push(entry(4, 1));
    expect(pub.sent).toHaveLength(0);
    box.resume(pub.publish);
    expect(payloads(pub.sent)).toEqual(['1', '2', '3']);
    pub.ackAll();
    expect(payloads(pub.sent)).toEqual(['4']);
    pub.ackAll();
    expect(box.length).toBe(0);
    expect(box.sent).toBe(4);
  });

  it('counts a message the broker refuses (reason code) and moves on, logging once per code', () => {
    const { box, log } = make(3);
    const pub = fakePublisher();
    box.push(entry(1, 2));
    box.push(entry(2, 1));
    box.resume(pub.publish);
    const refused = Object.assign(new Error('Publish error: Not authorized'), { code: 135 });
    pub.sent[0]?.done(refused);
    pub.sent[1]?.done();
    pub.sent[2]?.done(refused);
    expect(box.length).toBe(0);
    expect(box.rejected).toBe(2);
    expect(log.lines.filter((l) => l.level === 50)).toHaveLength(1);
    expect(log.lines.find((l) => l.level === 50)).toMatchObject({
      code: 'SINK_REJECTED',
      reasonCode: 135,
    });
  });

  it('drops the oldest past its bound, in flight or not, and keeps publishing the rest in order', () => {
    const { box } = make(2, 3);
    const pub = fakePublisher();
    box.resume(pub.publish);
    for (let t = 1; t <= 6; t++) box.push(entry(t, 1));
    expect(box.dropped).toBe(3);
    expect(payloads(pub.sent)).toEqual(['1', '2']);
    pub.ackAll(); // MQTT.js still completes the dropped ones: only then is the window free
    expect(payloads(pub.sent)).toEqual(['4', '5']);
    pub.ackAll();
    pub.ackAll();
    expect(box.length).toBe(0);
  });

  it('drain() resolves true once empty, false after its bound; then publishes nothing more', async () => {
    const { box } = make(3);
    const pub = fakePublisher();
    box.push(entry(1, 1));
    box.resume(pub.publish);
    const drained = box.drain(5000);
    pub.ackAll();
    expect(await drained).toBe(true);

    const { box: stuck } = make(3);
    stuck.push(entry(1, 1));
    expect(await stuck.drain(20)).toBe(false);
    stuck.resume(pub.publish);
    stuck.push(entry(2, 1));
    expect(pub.sent).toHaveLength(0);
    expect(stuck.length).toBe(1);
  });

  it('completes synchronous acknowledgements (QoS 0) without recursing per entry', () => {
    const { box } = make(64, 100_000);
    let count = 0;
    for (let t = 0; t < 20_000; t++) box.push(entry(t, 1));
    box.resume((_m, done) => {
      count++;
      done();
    });
    expect(count).toBe(20_000);
    expect(box.length).toBe(0);
  });
});

describe('entryBytes', () => {
  it.each([
    ['a full reading', readingMessages(makeReading(), 'kasa')],
    ['a sparse reading', readingMessages(makeReading({ values: { power: 1 } }), 'home/kasa')],
    ['one message', [{ topic: 'kasa/x', payload: 'online', retain: true }]],
  ])('counts %s at its JSON size in the file, within 10 %', (_what, entry) => {
    const json = Buffer.byteLength(JSON.stringify(entry));
    const counted = entryBytes(entry);
    expect(Math.abs(counted - json) / json).toBeLessThan(0.1);
  });

  it('is the unit of mqtt.outbox.maxBytes: a bound of 3 readings holds 3 readings', () => {
    const one = readingMessages(makeReading(), 'kasa');
    const config = mqttConfig('mqtt://b', {
      outbox: { maxReadings: 1000, maxBytes: entryBytes(one) * 3 },
    });
    const box = createMqttOutbox(config, {}, memoryLogger().log);
    for (let i = 0; i < 5; i++) box.push(one);
    expect(box.length).toBe(3);
    expect(box.dropped).toBe(2);
  });
});
