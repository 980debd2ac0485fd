import net from 'node:net';
import { PlugError, PlugErrorCode } from '../errors.js';
import { HEADER_BYTES, decrypt, readFrameLength } from './cipher.js';

/** Largest reply body accepted, bytes. A sysinfo of an HS300 is ~3 KiB; 64 KiB is generous. */
export const MAX_REPLY_BYTES = 64 * 1024;

/** Where a plug listens. */
export interface PlugAddress {
  host: string;
  /** TCP port, normally 9999. */
  port: number;
}

/** Limits for one exchange. */
export interface ExchangeOptions {
  /** Overall deadline for connect + write + whole reply, ms. */
  timeoutMs: number;
  /** Deadline for the TCP connect alone, ms; defaults to `timeoutMs`. */
  connectTimeoutMs?: number;
  /** Reply body cap, bytes; defaults to {@link MAX_REPLY_BYTES}. */
  maxReplyBytes?: number;
}

const UNREACHABLE = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/**
 * Maps a socket error to a stable code: refused and unreachable are final for this tick,
 * the rest mean "the plug went away mid-exchange" (python-kasa `xortransport.py` draws the same
 * line).
 */
export function classifySocketError(target: string, err: NodeJS.ErrnoException): PlugError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') {
    return new PlugError(
      PlugErrorCode.REFUSED,
      target,
      'connection refused: is the plug powered and is this its address? Plugs on newer ' +
        'firmware (HS110 hw 4.1 fw 1.1.x, KP125M, EP25 hw 2.6) closed port 9999 and speak ' +
        'KLAP on port 80, which this collector does not support',
      err,
    );
  }
  if (UNREACHABLE.has(code)) {
    return new PlugError(
      PlugErrorCode.UNREACHABLE,
      target,
      `unreachable (${code}): check the address and that the plug is on the network`,
      err,
    );
  }
  if (code === 'ETIMEDOUT') {
    return new PlugError(PlugErrorCode.TIMEOUT, target, 'connect timed out (ETIMEDOUT)', err);
  }
  return new PlugError(
    PlugErrorCode.CLOSED,
    target,
    `connection lost (${code || err.message})`,
    err,
  );
}

/**
 * Sends one framed request over a fresh TCP connection and returns the decrypted reply body.
 *
 * The frame goes out in ONE write (tplink-smarthome-simulator treats each TCP chunk as a request);
 * the reply is read as exactly 4 + N bytes however it is segmented, and the socket is closed as
 * soon as it is complete: never wait for the plug to close (the simulator never does).
 *
 * @param address the plug
 * @param frame a request from `encodeFrame()` (length prefix + ciphertext)
 * @param opts deadlines and the reply cap
 * @returns the reply plaintext (UTF-8 bytes of JSON, not yet parsed)
 * @throws PlugError PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_TIMEOUT, PLUG_CLOSED, PLUG_BAD_LENGTH
 */
export function exchange(
  address: PlugAddress,
  frame: Buffer,
  opts: ExchangeOptions,
): Promise<Buffer> {
  const target = `${address.host}:${address.port}`;
  const maxReply = opts.maxReplyBytes ?? MAX_REPLY_BYTES;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let expected = -1;
    let settled = false;
    const socket = net.connect({ host: address.host, port: address.port });
    socket.setNoDelay(true);

    const finish = (err: PlugError | null, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(connectDeadline);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err);
      else resolve(body as Buffer);
    };

    const deadline = setTimeout(() => {
      const phase = socket.connecting
        ? 'connect'
        : expected < 0
          ? 'reply header'
          : `reply body (${received - HEADER_BYTES} of ${expected} bytes)`;
      finish(
        new PlugError(
          PlugErrorCode.TIMEOUT,
          target,
          `no complete reply within ${opts.timeoutMs} ms (waiting for ${phase})`,
        ),
      );
    }, opts.timeoutMs);
    const connectMs = opts.connectTimeoutMs ?? opts.timeoutMs;
    const connectDeadline =
      connectMs < opts.timeoutMs
        ? setTimeout(() => {
            if (socket.connecting) {
              finish(
                new PlugError(
                  PlugErrorCode.TIMEOUT,
                  target,
                  `connect timed out after ${connectMs} ms`,
                ),
              );
            }
          }, connectMs)
        : undefined;

    socket.once('connect', () => {
      clearTimeout(connectDeadline);
      socket.write(frame);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (expected < 0 && received >= HEADER_BYTES) {
        const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, received);
        expected = readFrameLength(head);
        if (expected === 0 || expected > maxReply) {
          finish(
            new PlugError(
              PlugErrorCode.BAD_LENGTH,
              target,
              `reply announces ${expected} bytes (accepted: 1 to ${maxReply})`,
            ),
          );
          return;
        }
      }
      if (expected >= 0 && received >= HEADER_BYTES + expected) {
        const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, received);
        finish(null, decrypt(all.subarray(HEADER_BYTES, HEADER_BYTES + expected)));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(classifySocketError(target, err)));
    socket.on('close', () => {
      const got =
        received < HEADER_BYTES
          ? 'before the reply header'
          : `after ${received - HEADER_BYTES} of ${expected} reply bytes`;
      finish(new PlugError(PlugErrorCode.CLOSED, target, `plug closed the connection ${got}`));
    });
  });
}
