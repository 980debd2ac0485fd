import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/cli/host-port.js';
import { ConfigError } from '../../src/errors.js';

describe('parseHostPort', () => {
  it.each([
    ['192.168.1.5', { host: '192.168.1.5', port: 9999 }],
    ['192.168.1.5:10000', { host: '192.168.1.5', port: 10000 }],
    ['plug.lan', { host: 'plug.lan', port: 9999 }],
    ['[::1]:9998', { host: '::1', port: 9998 }],
    ['::1', { host: '::1', port: 9999 }],
  ])('%s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });

  it.each(['', ':9999', 'host:0', 'host:70000', 'host:abc'])('rejects %j', (text) => {
    expect(() => parseHostPort(text)).toThrow(ConfigError);
  });
});
