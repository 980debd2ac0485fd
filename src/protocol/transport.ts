/**
 * The transport contract: where a plug listens, the limits of one exchange, and `exchange()`, one
 * framed request on a fresh TCP connection that is closed afterwards (one-shot tools). The
 * collector keeps each plug's connection open instead (`connection.ts`); both share the framing
 * and the error classification.
 */
import { PlugConnection } from './connection.js';

export { MAX_REPLY_BYTES } from './connection.js';
export { classifySocketError } from './socket-error.js';

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
export async function exchange(
  address: PlugAddress,
  frame: Buffer,
  opts: ExchangeOptions,
): Promise<Buffer> {
  const connection = new PlugConnection(address);
  try {
    return await connection.request(frame, opts);
  } finally {
    connection.close();
  }
}
