import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PlugError, PlugErrorCode } from '../../../src/errors.js';
import { decrypt, encodeFrame } from '../../../src/kasa/transport/xor-cipher.js';
import { XorTransport } from '../../../src/kasa/transport/xor.js';
import { nextLoopTurn, waitFor } from '../../fakes/wait.js';

/**
 * The kept-alive connection against a scripted plug on loopback. Every reply echoes the number
 * of the request it answers (`{"n":3}`), so a reply read for the wrong request shows.
 */

/** What the scripted plug does with the request numbered `n` (1-based, over all connections). */
type Act =
  | {
      kind: 'reply';
      chunks?: number[];
      extra?: Buffer;
      /** The reply waits for this (a test releases it); default: at once. */
      after?: Promise<void>;
      thenClose?: boolean;
    }
  | { kind: 'silent' }
  | { kind: 'close' };

interface ScriptedPlug {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Request texts, in arrival order. */
  requests: string[];
  /** Numbers of the requests whose reply was written (or found its connection gone). */
  answered: number[];
  /** Sends bytes nobody asked for on every open connection. */
  push(bytes: Buffer): void;
  /** Closes every open connection from the plug's side. */
  hangUpAll(): Promise<void>;
  close(): Promise<void>;
}

const plugs: ScriptedPlug[] = [];
const conns: XorTransport[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(plugs.splice(0).map((p) => p.close()));
});

const replyFrame = (n: number): Buffer => encodeFrame(JSON.stringify({ n }));
const request = (i: number): Buffer => encodeFrame(JSON.stringify({ ask: i }));
const numberOf = (body: Buffer): number => (JSON.parse(body.toString('utf8')) as { n: number }).n;

async function scriptedPlug(script: (n: number) => Act): Promise<ScriptedPlug> {
  const sockets = new Set<net.Socket>();
  const closed = new Set<Promise<void>>();
  const plug: ScriptedPlug = {
    port: 0,
    accepted: 0,
    get open() {
      return sockets.size;
    },
    requests: [],
    answered: [],
    push: (bytes) => sockets.forEach((s) => s.write(bytes)),
    hangUpAll: async () => {
      const all = [...closed];
      sockets.forEach((s) => s.end());
      await Promise.all(all);
    },
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((socket) => {
    plug.accepted++;
    sockets.add(socket);
    closed.add(new Promise((r) => socket.once('close', () => r())));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', async (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const end = 4 + buf.readUInt32BE(0);
        plug.requests.push(decrypt(buf.subarray(4, end)).toString('utf8'));
        buf = buf.subarray(end);
        const n = plug.requests.length;
        const act = script(n);
        if (act.kind === 'silent') continue;
        if (act.kind === 'close') {
          socket.destroy();
          return;
        }
        if (act.after !== undefined) await act.after;
        const frame = Buffer.concat([replyFrame(n), act.extra ?? Buffer.alloc(0)]);
        const cuts = [0, ...(act.chunks ?? []), frame.length];
        for (let i = 1; i < cuts.length; i++) {
          if (socket.destroyed) break;
          socket.write(frame.subarray(cuts[i - 1], cuts[i]));
          // The client reads each chunk as its own segment before the next is written.
          if (i < cuts.length - 1) await nextLoopTurn();
        }
        plug.answered.push(n);
        if (socket.destroyed) return;
        if (act.thenClose) socket.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  plug.port = (server.address() as net.AddressInfo).port;
  plugs.push(plug);
  return plug;
}

function connectionTo(plug: ScriptedPlug): XorTransport {
  const c = new XorTransport({ host: '127.0.0.1', port: plug.port });
  conns.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<PlugError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlugError);
  return err as PlugError;
}

const OPTS = { timeoutMs: 2000 };

describe('XorTransport (kept alive)', () => {
  it('sends several requests over one connection, each answered in order', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'reply' }));
    const c = connectionTo(plug);
    for (let i = 1; i <= 3; i++) expect(numberOf(await c.requestFrame(request(i), OPTS))).toBe(i);
    expect(plug.accepted).toBe(1);
    expect(plug.open).toBe(1);
    expect(c.open).toBe(true);
    expect(plug.requests).toEqual(['{"ask":1}', '{"ask":2}', '{"ask":3}']);
  });

  it.each([
    ['header split 2+2', [2, 4]],
    ['header split 1+3, body in two', [1, 4, 9]],
    ['partial header, then the rest', [3]],
    ['header with part of the body, then the rest', [7]],
    ['one byte per segment', Array.from({ length: 11 }, (_, i) => i + 1)],
  ])('reads a reply split as %s, and the next one too', async (_name, chunks) => {
    const plug = await scriptedPlug(() => ({ kind: 'reply', chunks }));
    const c = connectionTo(plug);
    expect(numberOf(await c.requestFrame(request(1), OPTS))).toBe(1);
    expect(numberOf(await c.requestFrame(request(2), OPTS))).toBe(2);
    expect(plug.accepted).toBe(1);
  });

  it('a timeout destroys the connection; the next request reconnects', async () => {
    const plug = await scriptedPlug((n) => (n === 1 ? { kind: 'silent' } : { kind: 'reply' }));
    const c = connectionTo(plug);
    const err = await failure(c.requestFrame(request(1), { timeoutMs: 100 }));
    expect(err.code).toBe(PlugErrorCode.TIMEOUT);
    expect(err.message).toMatch(/waiting for reply header/);
    expect(c.open).toBe(false);
    expect(numberOf(await c.requestFrame(request(2), OPTS))).toBe(2);
    expect(plug.accepted).toBe(2);
  });

  it('a late reply to a timed-out request is never read as the next reply', async () => {
    // Request 1 is answered after its deadline; request 2 must get reply 2, not reply 1.
    let release!: () => void;
    const late = new Promise<void>((r) => (release = r));
    const plug = await scriptedPlug((n) =>
      n === 1 ? { kind: 'reply', after: late } : { kind: 'reply' },
    );
    const c = connectionTo(plug);
    expect((await failure(c.requestFrame(request(1), { timeoutMs: 50 }))).code).toBe(
      PlugErrorCode.TIMEOUT,
    );
    release();
    await waitFor(() => plug.answered.includes(1), 5000, 'reply 1 sent after its deadline');
    expect(numberOf(await c.requestFrame(request(2), OPTS))).toBe(2);
  });

  it('the plug closing an idle connection costs no failed request', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'reply' }));
    const c = connectionTo(plug);
    expect(numberOf(await c.requestFrame(request(1), OPTS))).toBe(1);
    await plug.hangUpAll();
    expect(numberOf(await c.requestFrame(request(2), OPTS))).toBe(2);
    expect(plug.accepted).toBe(2);
  });

  it('a plug that closes after every reply (one request per connection) is followed', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'reply', thenClose: true }));
    const c = connectionTo(plug);
    for (let i = 1; i <= 5; i++) {
      // When the next request races the plug's close it is sent again, so count what arrived.
      const n = numberOf(await c.requestFrame(request(i), OPTS));
      expect(n).toBe(plug.requests.length);
      expect(plug.requests.at(-1)).toBe(`{"ask":${i}}`);
    }
  });

  it('a kept-alive socket found dead at the next request is retried once on a fresh one', async () => {
    // Request 2 arrives on the old socket, which the plug then drops without answering (a
    // reboot, an idle limit crossing our write): it is sent again on a new connection.
    const plug = await scriptedPlug((n) => (n === 2 ? { kind: 'close' } : { kind: 'reply' }));
    const c = connectionTo(plug);
    expect(numberOf(await c.requestFrame(request(1), OPTS))).toBe(1);
    expect(numberOf(await c.requestFrame(request(2), OPTS))).toBe(3);
    expect(plug.requests).toEqual(['{"ask":1}', '{"ask":2}', '{"ask":2}']);
    expect(plug.accepted).toBe(2);
  });

  it('is retried only once, and never on a fresh connection', async () => {
    const plug = await scriptedPlug((n) => (n === 1 ? { kind: 'reply' } : { kind: 'close' }));
    const c = connectionTo(plug);
    await c.requestFrame(request(1), OPTS);
    expect((await failure(c.requestFrame(request(2), OPTS))).code).toBe(PlugErrorCode.CLOSED);
    expect(plug.requests).toHaveLength(3); // 1, then 2 on the old socket and 2 on a new one
    expect((await failure(c.requestFrame(request(3), OPTS))).code).toBe(PlugErrorCode.CLOSED);
    expect(plug.requests).toHaveLength(4); // fresh connection: no retry
  });

  it('bytes sent while no request is pending drop the connection', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'reply' }));
    const c = connectionTo(plug);
    await c.requestFrame(request(1), OPTS);
    plug.push(replyFrame(99));
    await waitFor(() => !c.open, 5000, 'the connection to drop');
    expect(c.open).toBe(false);
    expect(numberOf(await c.requestFrame(request(2), OPTS))).toBe(2);
    expect(plug.accepted).toBe(2);
  });

  it('bytes past a reply drop the connection after the reply is delivered', async () => {
    const plug = await scriptedPlug((n) =>
      n === 1 ? { kind: 'reply', extra: replyFrame(99) } : { kind: 'reply' },
    );
    const c = connectionTo(plug);
    expect(numberOf(await c.requestFrame(request(1), OPTS))).toBe(1);
    expect(c.open).toBe(false);
    expect(numberOf(await c.requestFrame(request(2), OPTS))).toBe(2);
  });

  it('a bad length fails with PLUG_BAD_LENGTH and drops the connection', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'reply' }));
    const c = connectionTo(plug);
    await c.requestFrame(request(1), OPTS);
    const err = await failure(c.requestFrame(request(2), { timeoutMs: 2000, maxReplyBytes: 4 }));
    expect(err.code).toBe(PlugErrorCode.BAD_LENGTH);
    expect(c.open).toBe(false);
  });

  it('close() fails the request in flight with PLUG_CLOSED and is idempotent', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'silent' }));
    const c = connectionTo(plug);
    const pending = c.requestFrame(request(1), OPTS);
    await waitFor(() => plug.requests.length === 1, 5000, 'the request to arrive');
    c.close();
    c.close();
    const err = await failure(pending);
    expect(err.code).toBe(PlugErrorCode.CLOSED);
    expect(c.open).toBe(false);
  });

  it('refuses a second request while one is in flight', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'silent' }));
    const c = connectionTo(plug);
    const pending = c.requestFrame(request(1), OPTS);
    expect(() => c.requestFrame(request(2), OPTS)).toThrow(/in flight/);
    c.close();
    await failure(pending);
  });

  it('a refused connect is PLUG_REFUSED', async () => {
    const plug = await scriptedPlug(() => ({ kind: 'reply' }));
    const port = plug.port;
    await plug.close();
    const c = new XorTransport({ host: '127.0.0.1', port });
    conns.push(c);
    expect((await failure(c.requestFrame(request(1), OPTS))).code).toBe(PlugErrorCode.REFUSED);
  });
});
