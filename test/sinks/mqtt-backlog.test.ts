import { connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttConnect } from '../../src/sinks/mqtt.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import type { TestBroker } from '../fakes/broker.js';
import { freePort, startBroker } from '../fakes/broker.js';
import { captureLogger, makeReading, mqttConfig, waitFor } from './helpers.js';

// MQTT.js's offline store is unbounded; the sink bounds it so a long outage cannot eat memory.
describe('MqttSink backlog bound', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.stop();
  });

  it('drops whole readings beyond maxPending, warns once per episode, recovers when delivered', async () => {
    const port = await freePort();
    const fast: MqttConnect = (url, opts) => connect(url, { ...opts, reconnectPeriod: 50 });
    const { log, lines } = captureLogger();
    const sink = new MqttSink(mqttConfig(`mqtt://127.0.0.1:${port}`), log, fast, {
      maxPending: 10,
    });
    await sink.start();
    for (let i = 0; i < 5; i++) sink.write(makeReading({ time: 1_700_000_000 + i }));
    // 7 messages per full reading: the first fits in 10, the next four do not.
    expect(sink.dropped).toBe(4);
    expect(lines.filter((l) => l.msg.startsWith('MQTT backlog full'))).toHaveLength(1);

    broker = await startBroker({ port });
    await waitFor(() => lines.some((l) => l.msg === 'MQTT backlog delivered'), 5000, 'delivery');
    sink.write(makeReading({ time: 1_700_000_100 }));
    expect(sink.dropped).toBe(4);
    await sink.stop();
  });
});
