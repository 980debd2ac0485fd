/**
 * Reassembly of one XOR reply (docs/protocol.md#tcp-framing: 4-byte big-endian length, then
 * that many bytes of XOR autokey ciphertext) from the segments TCP delivers, however it cuts
 * them. Used by `xor.ts`; the reads it is fed land in a buffer shared by all connections, so
 * everything it keeps is copied out before `feed` returns, and the usual reply (the header and
 * the whole body in the first segment) is decrypted in place, without a copy.
 */
import { HEADER_BYTES, decrypt } from './xor-cipher.js';

/** {@link XorReplyReader.feed}: the reply is not complete yet. */
export const NEED_MORE = 0;
/** {@link XorReplyReader.feed}: the header announces 0 bytes or more than the cap. */
export const BAD_LENGTH = 1;

/** One reply's bytes so far. Reset per request; one reply at a time. */
export class XorReplyReader {
  /** Reply bytes of a reply that came in several segments (header included). */
  #acc: Buffer | undefined;
  #received = 0;
  #expected = -1;

  /** Reply bytes received so far, header included. */
  get received(): number {
    return this.#received;
  }
  /** Body length the header announced, bytes; -1 until the header is in. */
  get expected(): number {
    return this.#expected;
  }
  /** Whether more bytes came than the reply announced (the two ends disagree on framing). */
  get overran(): boolean {
    return this.#expected >= 0 && this.#received > HEADER_BYTES + this.#expected;
  }

  /** Starts a new reply. */
  reset(): void {
    this.#received = 0;
    this.#expected = -1;
  }

  /** Frees the bytes kept of a reply (settled or abandoned). */
  clear(): void {
    this.#acc = undefined;
  }

  /**
   * Takes one read.
   * @param buf the read buffer; its first `n` bytes are new
   * @param n bytes read
   * @param maxReply the largest body accepted, bytes
   * @returns the decrypted body once complete, else {@link NEED_MORE} or {@link BAD_LENGTH}
   */
  feed(buf: Buffer, n: number, maxReply: number): Buffer | typeof NEED_MORE | typeof BAD_LENGTH {
    let all = buf;
    if (this.#received === 0 && n >= HEADER_BYTES) {
      // The usual case: the header (and mostly the whole reply) in the first segment, no copy.
      this.#received = n;
    } else {
      all = this.#append(buf, n);
    }
    if (this.#expected < 0) {
      if (this.#received < HEADER_BYTES) return NEED_MORE;
      this.#expected = all.readUInt32BE(0);
      if (this.#expected === 0 || this.#expected > maxReply) return BAD_LENGTH;
    }
    const end = HEADER_BYTES + this.#expected;
    if (this.#received < end) {
      if (all === buf) this.#append(buf, 0);
      return NEED_MORE;
    }
    return decrypt(all.subarray(HEADER_BYTES, end));
  }

  /**
   * Adds `n` bytes of `buf` to the reply so far. The bytes already counted in `#received` but
   * still only in the shared read buffer (first segment) are copied first.
   * @returns the reply bytes so far, in a buffer of this connection's own
   */
  #append(buf: Buffer, n: number): Buffer {
    const had = this.#acc === undefined ? 0 : this.#received;
    const pendingInBuf = this.#received - had;
    const need = this.#received + n;
    let acc = this.#acc;
    if (acc === undefined || acc.length < need) {
      const want = this.#expected >= 0 ? HEADER_BYTES + this.#expected : 0;
      const grown = Buffer.allocUnsafe(Math.max(need, want, HEADER_BYTES));
      if (acc !== undefined) acc.copy(grown, 0, 0, had);
      acc = grown;
      this.#acc = acc;
    }
    if (pendingInBuf > 0) buf.copy(acc, had, 0, pendingInBuf);
    buf.copy(acc, this.#received, 0, n);
    this.#received = need;
    return acc;
  }
}
