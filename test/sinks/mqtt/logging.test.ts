import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttConnect } from '../../../src/sinks/mqtt/sink.js';
import { MqttSink, redactUrl } from '../../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../../fakes/broker.js';
import { freePort, startBroker } from '../../fakes/broker.js';
import { mqttConfig } from '../helpers.js';
import { type LogLine, memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

const PASSWORD = 'Pa55-w0rd-never-logged';
const URL_PASSWORD = 'url-secret-never-logged';

describe('MqttSink logging', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  it('logs one line per state change, not per retry, and never the password', async () => {
    const port = await freePort();
    let client: MqttClient | undefined;
    let closes = 0;
    // Same options as production, but retry every 50 ms so many retries happen quickly.
    const fast: MqttConnect = (url, opts) => {
      client = connect(url, { ...opts, reconnectPeriod: 50 });
      client.on('close', () => closes++);
      return client;
    };
    const { log, lines, raw } = memoryLogger();
    const config = mqttConfig(`mqtt://kasa:${URL_PASSWORD}@127.0.0.1:${port}`, {
      username: 'kasa',
      password: PASSWORD,
    });
    const sink = new MqttSink(config, {
      log,
      clock: systemClock,
      connect: fast,
      stopTimeoutMs: 300,
    });
    const count = (pred: (l: LogLine) => boolean): number => lines.filter(pred).length;
    const errors = (): number => count((l) => l.msg.startsWith('MQTT error'));
    const connects = (): number => count((l) => l.msg === 'connected to MQTT broker');
    const disconnects = (): number =>
      count((l) => l.msg.startsWith('disconnected from MQTT broker'));

    await sink.start();
    await waitFor(() => closes >= 5, 5000, '5 failed attempts');
    expect(errors()).toBe(1);
    expect(lines.find((l) => l.msg.startsWith('MQTT error'))?.['err']).toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(lines.find((l) => l.msg.startsWith('MQTT error'))?.['code']).toBe('SINK_REFUSED');

    broker = await startBroker({ port });
    await waitFor(() => sink.connected, 5000, 'connect');
    expect(connects()).toBe(1);

    await broker.stop();
    broker = undefined;
    const before = closes;
    await waitFor(() => closes >= before + 5, 5000, '5 more failed attempts');
    expect(disconnects()).toBe(1);
    expect(errors()).toBe(2); // ECONNREFUSED again, once, after having been connected

    await sink.stop();
    expect(raw.join('')).not.toContain(PASSWORD);
    expect(raw.join('')).not.toContain(URL_PASSWORD);
    expect(lines.find((l) => l.msg === 'connecting to MQTT broker')?.['url']).toBe(
      `mqtt://kasa:***@127.0.0.1:${port}`,
    );
    // A clean stop is not a "disconnected" warning.
    expect(disconnects()).toBe(1);
  });

  it('redactUrl hides only the password', () => {
    expect(redactUrl('mqtts://u:p@broker:8883/x')).toBe('mqtts://u:***@broker:8883/x');
    expect(redactUrl('mqtt://broker:1883')).toBe('mqtt://broker:1883');
    expect(redactUrl('not a url')).toBe('(unparsable URL)');
  });
});
