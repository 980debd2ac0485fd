/**
 * The one-shot XOR exchange of the tools and tests: one frame over a fresh connection, closed
 * once the reply is in (the collector keeps its connections: `xor.ts`).
 */
import type { PlugAddress, RequestOptions } from './transport.js';
import { XorTransport } from './xor.js';

/**
 * Sends one frame over a fresh XOR connection and closes it (the one-shot tools, `send`).
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
export async function exchangeOnce(
  address: PlugAddress,
  frame: Buffer,
  opts: RequestOptions,
): Promise<Buffer> {
  const transport = new XorTransport(address);
  try {
    return await transport.requestFrame(frame, opts);
  } finally {
    transport.close();
  }
}
