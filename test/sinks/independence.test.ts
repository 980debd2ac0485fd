import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { EmonhubSink } from '../../src/sinks/emonhub/sink.js';
import { Fanout } from '../../src/sinks/fanout.js';
import { MqttSink } from '../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../fakes/broker.js';
import { freePort, startBroker } from '../fakes/broker.js';
import { FakeEmonhub } from '../fakes/emonhub.js';
import { emonhubConfig, makeReading, mqttConfig, subscribe } from './helpers.js';
import { stateTimes } from './mqtt/gate.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { waitFor } from '../fakes/wait.js';

const T0 = 1_700_000_000;
const reading = (i: number): ReturnType<typeof makeReading> => makeReading({ time: T0 + 10 * i });
/** What "on time" means here: far below a 10 s tick, far above loopback latency. */
const PROMPT_MS = 1000;

// Real sinks on the real clock, through the same Fanout the collector uses: one sink's remote
// end being down must not delay the other's deliveries by a single write.
describe('sinks are independent (Fanout over the real MQTT and emonhub sinks)', () => {
  let broker: TestBroker | undefined;
  const fake = new FakeEmonhub();
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
    await fake.stop();
    await broker?.stop();
    broker = undefined;
  });

  it('emonhub refusing: every MQTT reading still arrives promptly after its write', async () => {
    broker = await startBroker();
    const sub = await subscribe(broker.url, 'kasa/fridge');
    cleanup.push(sub.close);
    await fake.start();
    await fake.stop(); // emonhub's port now refuses
    const { log } = memoryLogger();
    const emonhub = new EmonhubSink(emonhubConfig(fake.port), {
      log,
      clock: systemClock,
      stopTimeoutMs: 100,
    });
    const mqtt = new MqttSink(mqttConfig(broker.url), { log, clock: systemClock });
    const fanout = new Fanout([emonhub, mqtt], log); // emonhub first: it must not hold MQTT up
    cleanup.push(() => fanout.stop());
    await fanout.start();
    await waitFor(() => mqtt.connected, 5000, 'MQTT connect');

    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      fanout.write(reading(i));
      expect(Date.now() - t).toBeLessThan(50); // write() only enqueues
      await waitFor(() => stateTimes(sub.seen).length === i + 1, PROMPT_MS, `reading ${i}`);
    }
    expect(stateTimes(sub.seen)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + 10 * i));
    expect(emonhub.sent).toBe(0);
    expect(emonhub.queued).toBe(5); // kept for when emonhub is back
  });

  it('MQTT broker down: every emonhub frame still arrives promptly after its write', async () => {
    await fake.start();
    const { log } = memoryLogger();
    const mqtt = new MqttSink(mqttConfig(`mqtt://127.0.0.1:${await freePort()}`), {
      log,
      clock: systemClock,
      stopTimeoutMs: 100,
    });
    // No pacing here: each write is a tick of its own, the live path.
    const emonhub = new EmonhubSink(emonhubConfig(fake.port), {
      log,
      clock: systemClock,
    });
    const fanout = new Fanout([mqtt, emonhub], log); // MQTT first: it must not hold emonhub up
    cleanup.push(() => fanout.stop());
    await fanout.start();

    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      fanout.write(reading(i));
      expect(Date.now() - t).toBeLessThan(50);
      await waitFor(() => fake.frames.length === i + 1, PROMPT_MS, `frame ${i}`);
    }
    expect(fake.lines.map((l) => Number(l.split(' ')[0]))).toEqual(
      [0, 1, 2, 3, 4].map((i) => T0 + 10 * i),
    );
    expect(fake.violations).toEqual([]);
    expect(mqtt.connected).toBe(false);
    expect(mqtt.queued).toBe(5); // kept for when the broker is back
  });
});
