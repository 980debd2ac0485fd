/**
 * The fault knobs of a simulated plug and the framing faults' wire behaviour.
 *
 * Each knob reproduces something real plugs or networks do
 * (docs/protocol.md#what-real-plugs-get-wrong): plugs that stop answering or refuse connections
 * for a while, replies that arrive in many TCP segments, replies cut off, firmware that answers
 * `err_code != 0`, fields of the wrong type. Content faults
 * (`errCode`, `emeterFields`, `extraModule`) are applied in `answer.ts`; `delayMs`, `hang` and
 * `refuse` in `plug.ts`; the rest here.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { encodeFrame } from '../kasa/transport/xor-cipher.js';
import type { ContentFaults } from './answer.js';

/** Every fault knob; all off when absent. Set them with `SimulatedPlug.setFault()`. */
export interface SimFaults extends ContentFaults {
  /** Wait this long before each reply, ms. */
  delayMs?: number;
  /** Accept connections and read requests, never answer. */
  hang?: boolean;
  /** Close the connection before sending the reply header. */
  closeEarly?: boolean;
  /** Send the header and half the body, then close. */
  closeMidBody?: boolean;
  /** Send 32 random bytes instead of a reply. The first byte is never 0, so read as a length
   * header they announce at least 16 MiB (a foreign service on the port). */
  garbage?: boolean;
  /** Send the reply one byte every `dripMs` ms. */
  dripMs?: number;
  /** Announce this body length (0 or 0xFFFFFFFF) in the reply header. */
  badLength?: 0 | 0xffffffff;
  /** Send a valid frame whose plaintext is truncated, hence not JSON. */
  invalidJson?: boolean;
  /** Send a valid frame holding exactly this plaintext (e.g. `[1,2]`, JSON that is not an object). */
  rawReply?: string;
  /** Stop listening so connects are refused; clearing it listens again on the same port. */
  refuse?: boolean;
}

/** The names of the fault knobs. */
export type FaultName = keyof SimFaults;

/**
 * Writes one reply to `socket` with the framing faults applied.
 *
 * @param socket the client connection
 * @param plaintext the reply JSON as the plug would send it
 * @param faults the knobs in force when the request arrived
 * @returns resolves once the reply was handed to the socket (after the last drip) or the socket
 *   closed; rejects never
 */
export function sendReply(socket: Socket, plaintext: string, faults: SimFaults): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  if (faults.closeEarly) {
    socket.end();
    return Promise.resolve();
  }
  if (faults.garbage) {
    const junk = randomBytes(32);
    junk[0] = 1 + ((junk[0] as number) % 255);
    socket.write(junk);
    return Promise.resolve();
  }
  let text = plaintext;
  if (faults.rawReply !== undefined) text = faults.rawReply;
  else if (faults.invalidJson) text = plaintext.slice(0, Math.max(1, plaintext.length - 7));
  const frame = encodeFrame(text);
  if (faults.badLength !== undefined) frame.writeUInt32BE(faults.badLength, 0);
  if (faults.closeMidBody) {
    socket.end(frame.subarray(0, 4 + Math.floor((frame.length - 4) / 2)));
    return Promise.resolve();
  }
  const drip = faults.dripMs;
  if (drip === undefined || drip <= 0) {
    socket.write(frame);
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= frame.length) {
        clearInterval(timer);
        resolve();
        return;
      }
      socket.write(frame.subarray(i, i + 1));
      i++;
    }, drip);
    socket.once('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
}
