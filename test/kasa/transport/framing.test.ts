import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decrypt, encodeFrame } from '../../../src/kasa/transport/xor-cipher.js';
import { exchangeOnce as exchange } from '../../../src/kasa/transport/xor-once.js';
import { nextLoopTurn } from '../../fakes/wait.js';

const REQUEST = '{"system":{"get_sysinfo":{}}}';
const REPLY = JSON.stringify({
  system: { get_sysinfo: { alias: 'Wäschetrockner', relay_state: 1, rssi: -61, err_code: 0 } },
});
const REPLY_FRAME = encodeFrame(REPLY);

interface RawServer {
  port: number;
  /** Resolves when the server side sees the client end or close the connection. */
  clientGone: Promise<void>;
  requests: Buffer[];
  close(): Promise<void>;
}

const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A raw server that, once a whole request arrived, writes `chunks` one by one and never closes. */
async function rawServer(chunks: Buffer[]): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const requests: Buffer[] = [];
  let gone!: () => void;
  const clientGone = new Promise<void>((r) => (gone = r));
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      gone();
    });
    let buf = Buffer.alloc(0);
    socket.on('data', async (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readUInt32BE(0)) return;
      requests.push(buf);
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        await nextLoopTurn(); // the client reads this chunk before the next is written
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const s: RawServer = {
    port,
    clientGone,
    requests,
    close: () => {
      for (const sk of sockets) sk.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
  servers.push(s);
  return s;
}

function split(buf: Buffer, at: number[]): Buffer[] {
  const points = [0, ...at, buf.length];
  return points.slice(1).map((end, i) => buf.subarray(points[i], end));
}

async function roundTrip(chunks: Buffer[]): Promise<void> {
  const server = await rawServer(chunks);
  const body = await exchange({ host: '127.0.0.1', port: server.port }, encodeFrame(REQUEST), {
    timeoutMs: 2000,
  });
  expect(body.toString('utf8')).toBe(REPLY);
  // The transport closed the socket itself: the server never does.
  await server.clientGone;
  expect(server.requests).toHaveLength(1);
  expect(decrypt((server.requests[0] as Buffer).subarray(4)).toString('utf8')).toBe(REQUEST);
  await server.close();
}

describe('exchange() framing', () => {
  it('reads a reply sent in one segment and closes without waiting for the plug', async () => {
    await roundTrip([REPLY_FRAME]);
  });

  it('reads a reply sent one byte per segment', async () => {
    await roundTrip(
      split(
        REPLY_FRAME,
        Array.from({ length: REPLY_FRAME.length - 1 }, (_, i) => i + 1),
      ),
    );
  });

  it('reads a reply split in two at every possible position', async () => {
    for (let at = 1; at < REPLY_FRAME.length; at++) {
      await roundTrip(split(REPLY_FRAME, [at]));
    }
  });

  it.each([
    ['header split 2+2', [2, 4]],
    ['header split 1+3, body in two', [1, 4, 20]],
    ['header + partial body, rest', [10]],
    ['partial header, header rest + body', [3]],
    ['body in three', [4, 15, 40]],
  ])('reads a reply split as %s', async (_name, at) => {
    await roundTrip(split(REPLY_FRAME, at));
  });

  it('stops at 4 + N bytes even when the plug sends more', async () => {
    await roundTrip([Buffer.concat([REPLY_FRAME, Buffer.from('trailing junk')])]);
  });

  it('resolves against a server that never closes the connection', async () => {
    const server = await rawServer([REPLY_FRAME]);
    const started = Date.now();
    const body = await exchange({ host: '127.0.0.1', port: server.port }, encodeFrame(REQUEST), {
      timeoutMs: 10_000,
    });
    expect(body.toString('utf8')).toBe(REPLY);
    expect(Date.now() - started).toBeLessThan(5000);
    await server.clientGone;
  });

  it('sends the request frame in one write (the simulator reads each TCP chunk as a request)', async () => {
    const server = await rawServer([REPLY_FRAME]);
    const frame = encodeFrame(REQUEST);
    const write = vi.spyOn(net.Socket.prototype, 'write');
    try {
      await exchange({ host: '127.0.0.1', port: server.port }, frame, { timeoutMs: 2000 });
      const clientWrites = write.mock.calls.filter(
        ([data]) => Buffer.isBuffer(data) && data.equals(frame),
      );
      expect(clientWrites).toHaveLength(1);
      expect(
        write.mock.calls.filter(
          ([data]) => Buffer.isBuffer(data) && data.length < frame.length && frame.includes(data),
        ),
      ).toHaveLength(0);
    } finally {
      write.mockRestore();
    }
  });
});
