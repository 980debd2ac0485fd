import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { fileError, ONE_PLUG } from './helpers.js';

describe('loadConfig: unknown keys', () => {
  it('rejects an unknown top-level key and suggests the right one', () => {
    const line = fileError({ ...ONE_PLUG, device: [] }, 'device', 'did you mean "devices"?');
    expect(line).toContain('remove it or fix the spelling');
  });

  it('rejects an unknown nested key and suggests the right one', () => {
    fileError({ mqtt: { urll: 'mqtt://192.0.2.1' } }, 'mqtt.urll', 'did you mean "mqtt.url"?');
  });

  it('suggests the group a misplaced key belongs to', () => {
    fileError({ interval: 10 }, 'interval', 'did you mean "poll.interval"?');
  });

  it('rejects an unknown key inside a device', () => {
    const devices = [{ host: '192.0.2.10' }, { hots: '192.0.2.11' }];
    fileError({ devices }, 'devices[1].hots', 'did you mean "host"?');
    fileError({ devices }, 'devices[1].host', 'is required');
  });

  it('rejects a group given as a plain value', () => {
    fileError({ poll: 10 }, 'poll', 'must be an object with the keys interval, timeout');
  });

  it('rejects a "__proto__" key instead of silently dropping it', () => {
    fileError('{"__proto__": {"poll": {"interval": 1}}}', '__proto__', 'unknown key');
  });
});

describe('loadConfig: wrong types and ranges', () => {
  it('rejects a string interval instead of coercing it', () => {
    fileError({ poll: { interval: '10s' } }, 'poll.interval', 'must be an integer ≥ 1, got "10s"');
  });

  it('rejects interval 0', () => {
    fileError({ poll: { interval: 0 } }, 'poll.interval', 'must be an integer ≥ 1, got 0');
  });

  it('rejects a fractional interval', () => {
    fileError({ poll: { interval: 2.5 } }, 'poll.interval', 'got 2.5');
  });

  it('rejects a device port of 70000', () => {
    const devices = [{ host: '192.0.2.10', port: 70000 }];
    fileError({ devices }, 'devices[0].port', 'from 1 to 65535, got 70000');
  });

  it.each([
    ['devices[0].host', { devices: [{ host: '[::1]' }] }],
    ['emonhub.host', { emonhub: { host: '[::1]' } }],
    ['http.host', { http: { host: '[::1]' } }],
  ])('rejects the bracketed IPv6 address of %s, naming the form that works', (key, body) => {
    const line = fileError(body, key, 'without brackets', '"::1"');
    expect(line).toContain('got "[::1]"');
  });

  it('rejects a port written into a host', () => {
    const devices = [{ host: '192.0.2.10:9999' }, { host: '[::1]:9999' }];
    fileError({ devices }, 'devices[0].host', 'without a port', 'its own key');
    fileError({ devices }, 'devices[1].host', 'without brackets', '"::1"');
  });

  it.each(['::1', 'fe80::1', '192.0.2.10', 'plug.lan', 'localhost'])(
    'accepts the host %s',
    (host) => {
      expect(loadConfig({ overrides: { devices: [{ host }] }, env: {} }).devices[0]?.host).toBe(
        host,
      );
    },
  );

  it('rejects an emonhub port of 70000', () => {
    fileError({ emonhub: { port: 70000 } }, 'emonhub.port', 'from 1 to 65535, got 70000');
  });

  it('rejects qos 3', () => {
    fileError({ mqtt: { qos: 3 } }, 'mqtt.qos', 'must be one of 0, 1, 2, got 3');
  });

  it('rejects node 300', () => {
    const devices = [{ host: '192.0.2.10', node: 300 }];
    fileError({ devices }, 'devices[0].node', 'from 1 to 255, got 300');
  });

  it('rejects a boolean given as a string', () => {
    fileError({ mqtt: { enabled: 'false' } }, 'mqtt.enabled', 'must be true or false');
  });

  it('rejects a broker URL with an unknown scheme', () => {
    fileError({ mqtt: { url: 'http://192.0.2.1' } }, 'mqtt.url', 'mqtt://, mqtts://');
  });

  it('rejects a topic prefix with a wildcard or a trailing slash', () => {
    fileError({ mqtt: { topicPrefix: 'kasa/#' } }, 'mqtt.topicPrefix', '"#"');
    fileError({ mqtt: { topicPrefix: 'kasa/' } }, 'mqtt.topicPrefix', 'end with "/"');
  });

  it('rejects an unknown log level', () => {
    fileError({ log: { level: 'verbose' } }, 'log.level', '"debug"');
  });

  it('never quotes a password of the wrong type', () => {
    const line = fileError({ mqtt: { password: 123456789 } }, 'mqtt.password', 'not shown');
    expect(line).not.toContain('123456789');
  });
});

describe('loadConfig: devices', () => {
  it('rejects the reserved name "bridge"', () => {
    fileError({ devices: [{ host: '192.0.2.10', name: 'bridge' }] }, 'devices[0].name', 'reserved');
  });

  it('rejects duplicate names', () => {
    const devices = [
      { host: '192.0.2.10', name: 'fridge' },
      { host: '192.0.2.11', name: 'fridge' },
    ];
    fileError({ devices }, 'devices[1].name', '"fridge" is already used by devices[0]');
  });

  it('rejects duplicate nodes', () => {
    const devices = [
      { host: '192.0.2.10', node: 27 },
      { host: '192.0.2.11', node: 28 },
      { host: '192.0.2.12', node: 27 },
    ];
    fileError({ devices }, 'devices[2].node', '27 is already used by devices[0]');
  });

  it('rejects the same host:port twice, counting the default port', () => {
    const devices = [{ host: '192.0.2.10' }, { host: '192.0.2.10', port: 9999 }];
    fileError({ devices }, 'devices[1].host', '192.0.2.10:9999 is already used by devices[0]');
  });

  it('accepts the same host on another port (an HS300 behind port forwarding)', () => {
    const devices = [{ host: '192.0.2.10' }, { host: '192.0.2.10', port: 10000 }, { port: 1 }];
    const line = fileError({ devices }, 'devices[2].host', 'is required');
    expect(line).not.toContain('already used');
  });

  it('rejects name characters that are not topic-safe', () => {
    const devices = [{ host: '192.0.2.10', name: 'Kitchen/Fridge' }];
    fileError({ devices }, 'devices[0].name', 'a-z, 0-9', 'got "Kitchen/Fridge"');
  });

  it('rejects a device that is not an object', () => {
    fileError({ devices: ['192.0.2.10'] }, 'devices[0]', 'must be an object like');
  });
});

describe('loadConfig: emonhub.fields', () => {
  it('rejects an unknown field name', () => {
    const fields = ['voltage', 'watts'];
    fileError({ emonhub: { fields } }, 'emonhub.fields[1]', '"power"', 'got "watts"');
  });

  it('rejects a field listed twice', () => {
    const fields = ['power', 'power'];
    fileError({ emonhub: { fields } }, 'emonhub.fields[1]', 'listed twice');
  });

  it('rejects an empty list', () => {
    fileError({ emonhub: { fields: [] } }, 'emonhub.fields', 'non-empty array');
  });
});

describe('loadConfig: keys that depend on each other', () => {
  it('rejects a timeout equal to the interval', () => {
    const poll = { interval: 5, timeout: 5 };
    fileError({ poll }, 'poll.timeout', 'must be below poll.interval (5 s)');
  });

  it('rejects a timeout above the default interval', () => {
    fileError({ poll: { timeout: 30 } }, 'poll.timeout', '30 s must be below poll.interval (10 s)');
  });
});

describe('loadConfig: several problems', () => {
  it('reports every problem at once, one per line', () => {
    const content = {
      poll: { interval: 0 },
      mqtt: { qos: 3, urll: 'x' },
      devices: [{ host: '192.0.2.10', node: 0 }],
    };
    fileError(content, 'poll.interval');
    fileError(content, 'mqtt.qos');
    fileError(content, 'mqtt.urll');
    const line = fileError(content, 'devices[0].node');
    expect(line.split('\n')).toHaveLength(1);
  });
});
