import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttConnect } from '../../../src/sinks/mqtt/sink.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { mqttConfig, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

describe('MqttSink last will', () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await broker.stop();
  });

  it('the broker publishes bridge/state offline when the connection dies, and online after reconnect', async () => {
    let client: MqttClient | undefined;
    const spy: MqttConnect = (url, opts) => (client = connect(url, opts));
    const sub = await subscribe(broker.url, 'kasa/bridge/state');
    const sink = new MqttSink(mqttConfig(broker.url), {
      log: memoryLogger().log,
      clock: systemClock,
      connect: spy,
    });
    await sink.start();
    await waitFor(() => sub.seen.length === 1, 5000, 'online');

    client?.stream.destroy(); // an abrupt death: no DISCONNECT packet
    await waitFor(() => sub.seen.length === 2, 5000, 'last will');
    expect(sub.seen[1]).toMatchObject({ topic: 'kasa/bridge/state', payload: 'offline' });

    // MQTT.js reconnects after reconnectPeriod (2 s) and the sink announces itself again.
    await waitFor(() => sub.seen.length === 3, 6000, 'online again');
    expect(sub.seen.map((m) => m.payload)).toEqual(['online', 'offline', 'online']);
    await sink.stop();
    await sub.close();
  });
});
