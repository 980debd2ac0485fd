import { describe, expect, it } from 'vitest';
import { mqttErrorCode, publishErrorCode } from '../../../src/sinks/mqtt/errors.js';
import { socketErrorCode } from '../../../src/sinks/socket-error.js';

const coded = (message: string, code?: string | number): Error & { code?: unknown } =>
  Object.assign(new Error(message), code === undefined ? {} : { code });

describe('socketErrorCode', () => {
  it.each([
    ['ECONNREFUSED', 'SINK_REFUSED'],
    ['EHOSTUNREACH', 'SINK_UNREACHABLE'],
    ['ENETUNREACH', 'SINK_UNREACHABLE'],
    ['ENOTFOUND', 'SINK_UNREACHABLE'],
    ['EAI_AGAIN', 'SINK_UNREACHABLE'],
    ['ETIMEDOUT', 'SINK_TIMEOUT'],
    ['ECONNRESET', 'SINK_CLOSED'],
    ['EPIPE', 'SINK_CLOSED'],
    ['ECONNABORTED', 'SINK_CLOSED'],
    ['EWHATEVER', undefined],
    [undefined, undefined],
    [135, undefined],
  ])('%s → %s', (errno, code) => {
    expect(socketErrorCode(errno)).toBe(code);
  });
});

describe('mqttErrorCode', () => {
  it.each<[string, Error & { code?: unknown }, string]>([
    [
      'refused socket',
      coded('connect ECONNREFUSED 127.0.0.1:1883', 'ECONNREFUSED'),
      'SINK_REFUSED',
    ],
    ['unknown host', coded('getaddrinfo ENOTFOUND broker', 'ENOTFOUND'), 'SINK_UNREACHABLE'],
    ['reset', coded('read ECONNRESET', 'ECONNRESET'), 'SINK_CLOSED'],
    ['untrusted CA', coded('unable to verify', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'SINK_TLS'],
    ['self-signed', coded('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), 'SINK_TLS'],
    ['expired', coded('certificate has expired', 'CERT_HAS_EXPIRED'), 'SINK_TLS'],
    ['wrong host', coded('Hostname/IP does not match', 'ERR_TLS_CERT_ALTNAME_INVALID'), 'SINK_TLS'],
    ['no client cert', coded('alert 116', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'SINK_TLS'],
    ['handshake', coded('wrong version number', 'EPROTO'), 'SINK_TLS'],
    ['TLS not authorized', coded('TLS not authorized'), 'SINK_TLS'],
    ['3.1.1 bad password', coded('Connection refused: Bad username or password', 4), 'SINK_AUTH'],
    ['3.1.1 not authorized', coded('Connection refused: Not authorized', 5), 'SINK_AUTH'],
    ['5 bad password', coded('Connection refused: Bad User Name or Password', 134), 'SINK_AUTH'],
    ['5 not authorized', coded('Connection refused: Not authorized', 135), 'SINK_AUTH'],
    ['5 banned', coded('Connection refused: Banned', 138), 'SINK_AUTH'],
    ['no user name', coded('Username is required to use password'), 'SINK_AUTH'],
    ['3.1.1 unavailable', coded('Connection refused: Server unavailable', 3), 'SINK_REFUSED'],
    ['5 busy', coded('Connection refused: Server busy', 137), 'SINK_REFUSED'],
    ['5 rate', coded('Connection refused: Connection rate exceeded', 159), 'SINK_REFUSED'],
    [
      '3.1.1 version',
      coded('Connection refused: Unacceptable protocol version', 1),
      'SINK_PROTOCOL',
    ],
    ['3.1.1 client id', coded('Connection refused: Identifier rejected', 2), 'SINK_PROTOCOL'],
    ['5 client id', coded('Connection refused: Client Identifier not valid', 133), 'SINK_PROTOCOL'],
    ['duplicate CONNACK', coded('Protocol error: duplicate CONNACK', 130), 'SINK_PROTOCOL'],
    ['no CONNACK', coded('connack timeout'), 'SINK_TIMEOUT'],
    ['keepalive', coded('Keepalive timeout'), 'SINK_TIMEOUT'],
    ['anything else', coded('Connection closed'), 'SINK_CLOSED'],
  ])('%s → %s', (_name, err, code) => {
    expect(mqttErrorCode(err)).toBe(code);
  });
});

describe('publishErrorCode', () => {
  it.each<[string, Error & { code?: unknown }, string]>([
    ['a reason code: the broker refused the message', coded('Publish error', 135), 'SINK_REJECTED'],
    ['payload too large', coded('Publish error: Packet too large', 149), 'SINK_REJECTED'],
    ['the connection went', coded('Connection closed'), 'SINK_CLOSED'],
    ['disconnecting', coded('client disconnecting'), 'SINK_CLOSED'],
  ])('%s → %s', (_name, err, code) => {
    expect(publishErrorCode(err)).toBe(code);
  });
});
