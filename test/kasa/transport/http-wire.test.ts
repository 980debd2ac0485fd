import { describe, expect, it } from 'vitest';
import {
  encodeRequest,
  HttpWireError,
  ReplyParser,
} from '../../../src/kasa/transport/http-wire.js';

const feedAll = (p: ReplyParser, raw: string, step = raw.length): boolean => {
  let done = false;
  for (let i = 0; i < raw.length; i += step)
    done = p.feed(Buffer.from(raw.slice(i, i + step), 'latin1'));
  return done;
};

describe('HTTP/1.1 framing', () => {
  it('serializes head and body into one buffer', () => {
    const req = encodeRequest(
      '10.0.0.5',
      '/app/request?seq=7',
      { Cookie: 'TP_SESSIONID=AB' },
      Buffer.from([0, 255]),
    );
    expect(req.toString('latin1')).toBe(
      'POST /app/request?seq=7 HTTP/1.1\r\nHost: 10.0.0.5\r\nContent-Length: 2\r\nCookie: TP_SESSIONID=AB\r\n\r\n\u0000\u00ff',
    );
    expect(() => encodeRequest('h', '/', { X: 'a\r\nb' }, Buffer.alloc(0))).toThrow(RangeError);
  });

  it.each([
    [
      'Content-Length, one segment',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: TP_SESSIONID=X;TIMEOUT=86400\r\n\r\nhello',
      1000,
    ],
    ['Content-Length, byte by byte', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 1],
    [
      'chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n',
      4,
    ],
  ])('parses a reply framed by %s', (_name, raw, step) => {
    const p = new ReplyParser(1024);
    expect(feedAll(p, raw, step)).toBe(true);
    expect(p.head?.status).toBe(200);
    expect(p.body?.toString()).toBe('hello');
  });

  it('reads a body without length to the end of the connection, and closes after it', () => {
    const p = new ReplyParser(1024);
    expect(feedAll(p, 'HTTP/1.0 403 Forbidden\r\n\r\nno')).toBe(false);
    expect(p.end()).toBe(true);
    expect(p.head?.status).toBe(403);
    expect(p.body?.toString()).toBe('no');
    expect(p.close).toBe(true);
  });

  it.each([
    ['not HTTP', 'SSH-2.0-dropbear\r\n\r\n', /not an HTTP reply/],
    ['a body above the cap', 'HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n', /larger than 1024/],
    ['bytes past the reply', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab', /past the reply/],
    ['a bad length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /bad Content-Length/],
  ])('refuses %s', (_name, raw, message) => {
    expect(() => feedAll(new ReplyParser(1024), raw)).toThrow(HttpWireError);
    expect(() => feedAll(new ReplyParser(1024), raw)).toThrow(message);
  });
});
