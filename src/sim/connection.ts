/**
 * One client connection of a simulated plug: requests are buffered and cut by their 4-byte length
 * prefix (docs/protocol.md#tcp-framing), so a request split across TCP segments, or several
 * requests in one segment or on one kept-alive connection (python-kasa reuses its socket), are all
 * answered, one at a time and in order. tplink-smarthome-simulator instead treats each TCP chunk as
 * a request, which is why real clients must send a frame in one write.
 *
 * The plug never closes the connection itself unless a fault says so.
 */
import type { Socket } from 'node:net';
import { HEADER_BYTES, decrypt } from '../kasa/transport/xor-cipher.js';
import { sendReply, type SimFaults } from './faults.js';

/** Requests larger than this (bytes) are not a plug's business: the connection is dropped. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** What a connection needs from its plug. */
export interface ConnectionHandler {
  /** Records a request: parsed JSON, or the raw text when it is not JSON. */
  record(request: unknown): void;
  /** The fault knobs in force now (read once per request, when it arrives). */
  faults(): SimFaults;
  /** The reply object for a parsed request, `undefined` to close instead (not a JSON object). */
  answer(request: unknown, faults: SimFaults): Record<string, unknown> | undefined;
}

/**
 * Serves requests on `socket` until it closes.
 * @param socket an accepted client connection
 * @param handler the plug's side: logging, faults and answers
 */
export function serveConnection(socket: Socket, handler: ConnectionHandler): void {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let buf: Buffer = Buffer.alloc(0);
  let queue = Promise.resolve();
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= HEADER_BYTES) {
      const len = buf.readUInt32BE(0);
      if (len > MAX_REQUEST_BYTES) {
        socket.destroy();
        return;
      }
      if (buf.length < HEADER_BYTES + len) break;
      const text = decrypt(buf.subarray(HEADER_BYTES, HEADER_BYTES + len)).toString('utf8');
      buf = buf.subarray(HEADER_BYTES + len);
      queue = queue.then(() => handle(socket, text, handler));
    }
  });
}

async function handle(socket: Socket, text: string, handler: ConnectionHandler): Promise<void> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    request = undefined;
  }
  handler.record(request ?? text);
  const faults = handler.faults();
  // A hung plug answers nothing more on this connection; the pending chain dies with the socket.
  if (faults.hang) return new Promise<void>(() => undefined);
  if (faults.delayMs !== undefined && faults.delayMs > 0) await waitOrClose(socket, faults.delayMs);
  if (socket.destroyed) return;
  const reply = handler.answer(request, faults);
  if (reply === undefined) {
    socket.destroy();
    return;
  }
  await sendReply(socket, JSON.stringify(reply), faults);
}

function waitOrClose(socket: Socket, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('close', done);
  });
}
