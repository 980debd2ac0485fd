import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configReference } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load.js';
import { configFile, loadError, ONE_PLUG } from './helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../config/example.json', import.meta.url));

describe('loadConfig: valid input', () => {
  it('loads config/example.json cleanly', () => {
    const config = loadConfig({ file: EXAMPLE, env: {} });
    expect(config.poll).toEqual({
      interval: 10,
      timeout: 2,
      concurrency: 64,
      offlineAfter: 3,
      cron: '',
      timezone: '',
    });
    expect(config.devices.map((d) => d.node)).toEqual([27, 28, 29, undefined, 30]);
    expect(config.devices[3]?.control).toBe(true);
    expect(config.devices[4]?.outlets).toEqual([
      { name: 'monitor', node: 31 },
      {},
      { name: 'printer', node: 33 },
    ]);
    expect(config.devices.every((d) => d.port === 9999)).toBe(true);
    expect(config.emonhub).toMatchObject({ enabled: true, port: 50013 });
    expect(config.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', username: 'kasa' });
  });

  it('uses the defaults when there is no file', () => {
    expect(loadConfig({ env: {} })).toEqual({
      poll: { interval: 10, timeout: 2, concurrency: 64, offlineAfter: 3, cron: '', timezone: '' },
      devices: [],
      kasa: { username: '', password: '', passwordFile: '' },
      mqtt: {
        enabled: true,
        url: 'mqtt://127.0.0.1:1883',
        username: '',
        password: '',
        topicPrefix: 'kasa',
        qos: 1,
        clientId: expect.stringMatching(new RegExp(`^kasa-collector-${hostname()}-[0-9a-f]{6}$`)),
        passwordFile: '',
        ca: '',
        cert: '',
        key: '',
        rejectUnauthorized: true,
        format: 'default',
        output: 'json',
        outbox: { maxReadings: 50000, maxBytes: 32 * 1024 * 1024 },
      },
      homeassistant: { enabled: true, prefix: 'homeassistant' },
      emonhub: {
        enabled: false,
        host: '127.0.0.1',
        port: 50011,
        timestamped: true,
        fields: ['voltage', 'current', 'power', 'energy', 'state', 'rssi'],
        replayRate: 2,
        queue: { maxFrames: 100000, maxBytes: 16 * 1024 * 1024 },
      },
      filter: { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 },
      state: { dir: 'state' },
      log: { level: 'info' },
      http: { enabled: false, port: 9101, host: '127.0.0.1' },
    });
  });

  it('fills in the device port and leaves absent name and node out', () => {
    const [device] = loadConfig({ file: configFile(ONE_PLUG), env: {} }).devices;
    expect(device).toStrictEqual({ host: '192.0.2.10', port: 9999 });
  });

  it('gives each collector its own default client id, the same at every start', () => {
    const id = (over: object) => loadConfig({ overrides: over, env: {} }).mqtt.clientId;
    const first = id({ state: { dir: '/var/lib/kasa-a' } });
    expect(first).toMatch(new RegExp(`^kasa-collector-${hostname()}-[0-9a-f]{6}$`));
    expect(id({ state: { dir: '/var/lib/kasa-a' } })).toBe(first); // a restart keeps it
    const others = [
      id({ state: { dir: '/var/lib/kasa-b' } }),
      id({ state: { dir: '/var/lib/kasa-a' }, mqtt: { topicPrefix: 'garage' } }),
    ];
    expect(new Set([first, ...others]).size).toBe(3);
  });

  it('keeps a configured client id', () => {
    const file = configFile({ mqtt: { clientId: 'pi-garage' } });
    expect(loadConfig({ file, env: {} }).mqtt.clientId).toBe('pi-garage');
  });
});

describe('loadConfig: environment and overrides', () => {
  it('lets the injected environment override the file', () => {
    const file = configFile({ mqtt: { url: 'mqtt://192.0.2.1:1883', password: 'from-file' } });
    const env = { MQTT_URL: 'mqtts://broker.example:8883', MQTT_PASSWORD: 's3cret' };
    const { mqtt } = loadConfig({ file, env });
    expect(mqtt.url).toBe('mqtts://broker.example:8883');
    expect(mqtt.password).toBe('s3cret');
  });

  it('coerces numeric variables', () => {
    const env = { POLL_INTERVAL: '30', POLL_TIMEOUT: '2.5', EMONHUB_PORT: '50013' };
    const config = loadConfig({ env });
    expect([config.poll.interval, config.poll.timeout, config.emonhub.port]).toEqual([
      30, 2.5, 50013,
    ]);
  });

  it('ignores the real process environment when an environment is injected', () => {
    process.env['MQTT_URL'] = 'not a url';
    try {
      expect(loadConfig({ env: {} }).mqtt.url).toBe('mqtt://127.0.0.1:1883');
    } finally {
      delete process.env['MQTT_URL'];
    }
  });

  it('names the variable when its value is not a number', () => {
    loadError(
      { env: { POLL_INTERVAL: '10s' } },
      '$POLL_INTERVAL: poll.interval: must be a number, got "10s"',
    );
  });

  it('names the variable when its value is out of range', () => {
    loadError({ env: { MQTT_URL: 'localhost:1883' } }, '$MQTT_URL: mqtt.url: must be a broker URL');
  });

  it('applies overrides over file and environment', () => {
    const file = configFile({ poll: { interval: 60 } });
    const config = loadConfig({
      file,
      env: { POLL_INTERVAL: '30' },
      overrides: { poll: { interval: 5 } },
    });
    expect(config.poll.interval).toBe(5);
  });

  it('validates overrides like the file', () => {
    loadError({ overrides: { poll: { intervall: 5 } } }, 'overrides: poll.intervall: unknown key');
  });
});

describe('configReference', () => {
  it('documents every key with its default', () => {
    const rows = configReference();
    expect(rows.find((r) => r.key === 'mqtt.url')).toMatchObject({
      env: 'MQTT_URL',
      default: 'mqtt://127.0.0.1:1883',
    });
    expect(rows.every((r) => r.doc.length > 10)).toBe(true);
    expect(rows).toHaveLength(45); // 6 poll, devices, 3 kasa, 16 mqtt, 2 homeassistant, 8 emonhub, 4 filter, state.dir, log.level, 3 http
  });
});
