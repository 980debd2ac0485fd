/**
 * KLAP's cryptography, as pure functions: the account hashes, the handshake proofs and the
 * session that encrypts and signs each request. No I/O (the exchange is `klap.ts`).
 *
 * The algorithm, as python-kasa's `kasa/transports/klaptransport.py` implements it (after the
 * work of Simon Wilkinson and Chris Wheeldon, python-kasa PR #117):
 *
 * - account hash v1 (IOT devices): `md5(md5(username) ‖ md5(password))`, 16 bytes;
 *   v2 (SMART devices): `sha256(sha1(username) ‖ sha1(password))`, 32 bytes.
 * - handshake1: the client posts a random 16-byte local seed; the device answers a 16-byte remote
 *   seed and its proof, v1 `sha256(local ‖ hash)`, v2 `sha256(local ‖ remote ‖ hash)`.
 * - handshake2: the client proves it too, v1 `sha256(remote ‖ hash)`, v2
 *   `sha256(remote ‖ local ‖ hash)`.
 * - session: key = `sha256("lsk" ‖ local ‖ remote ‖ hash)[0..16]`; `sha256("iv" ‖ …)` gives the
 *   IV's first 12 bytes and, from its last 4 bytes (big-endian, signed), the initial sequence
 *   number; sig = `sha256("ldk" ‖ …)[0..28]`.
 * - request n: seq += 1; ciphertext = AES-128-CBC(key, iv12 ‖ seq as int32 BE, PKCS#7(plaintext));
 *   body = `sha256(sig ‖ seq ‖ ciphertext)` ‖ ciphertext, sent to `/app/request?seq=<seq>`.
 * - the reply is signed and encrypted the same way with the same seq. python-kasa skips the
 *   reply's 32-byte signature unread; {@link KlapSession.decrypt} checks it, so a reply that was
 *   not made with this session's keys for this very request is refused.
 */
import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import type { Credentials } from './credentials.js';

/** KLAP's two generations: 1 for IOT devices (HS100 hw 4.1), 2 for SMART devices (Tapo, KP125M). */
export type KlapVersion = 1 | 2;

function digest(algorithm: 'md5' | 'sha1' | 'sha256', ...parts: Uint8Array[]): Buffer {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * The account hash the device stores.
 * @param version 1: `md5(md5(u) ‖ md5(p))`; 2: `sha256(sha1(u) ‖ sha1(p))`
 * @param account UTF-8 username (e-mail) and password
 * @returns 16 bytes (v1) or 32 bytes (v2)
 */
export function authHash(version: KlapVersion, account: Credentials): Buffer {
  const u = Buffer.from(account.username, 'utf8');
  const p = Buffer.from(account.password, 'utf8');
  return version === 1
    ? digest('md5', digest('md5', u), digest('md5', p))
    : digest('sha256', digest('sha1', u), digest('sha1', p));
}

/**
 * The device's proof in the handshake1 reply (bytes 16..48).
 * @returns 32 bytes: v1 `sha256(local ‖ hash)`, v2 `sha256(local ‖ remote ‖ hash)`
 */
export function deviceProof(
  version: KlapVersion,
  local: Uint8Array,
  remote: Uint8Array,
  hash: Uint8Array,
): Buffer {
  return version === 1 ? digest('sha256', local, hash) : digest('sha256', local, remote, hash);
}

/**
 * The client's proof, the body of handshake2.
 * @returns 32 bytes: v1 `sha256(remote ‖ hash)`, v2 `sha256(remote ‖ local ‖ hash)`
 */
export function clientProof(
  version: KlapVersion,
  local: Uint8Array,
  remote: Uint8Array,
  hash: Uint8Array,
): Buffer {
  return version === 1 ? digest('sha256', remote, hash) : digest('sha256', remote, local, hash);
}

/** Thrown by {@link KlapSession.decrypt} when the signature does not match or the padding is bad. */
export class KlapReplyError extends Error {
  override readonly name = 'KlapReplyError';
}

const INT32_MAX = 0x7fffffff;

/**
 * One KLAP session's keys and sequence number. The constructor derives the keys; every
 * {@link encrypt} advances the sequence.
 */
export class KlapSession {
  readonly key: Buffer;
  /** The IV's first 12 bytes; the last 4 are the sequence number. */
  readonly ivPrefix: Buffer;
  /** 28 bytes prefixed to every signed body. */
  readonly sig: Buffer;
  #seq: number;
  readonly #iv = Buffer.alloc(16);
  readonly #seqBytes = Buffer.alloc(4);

  /**
   * @param local the client's 16-byte seed
   * @param remote the device's 16-byte seed
   * @param hash the account hash both sides agreed on ({@link authHash})
   */
  constructor(local: Uint8Array, remote: Uint8Array, hash: Uint8Array) {
    this.key = digest('sha256', Buffer.from('lsk'), local, remote, hash).subarray(0, 16);
    const iv = digest('sha256', Buffer.from('iv'), local, remote, hash);
    this.ivPrefix = iv.subarray(0, 12);
    this.#seq = iv.readInt32BE(28);
    this.sig = digest('sha256', Buffer.from('ldk'), local, remote, hash).subarray(0, 28);
    this.ivPrefix.copy(this.#iv, 0);
  }

  /** The sequence number of the last request (the initial one before any). */
  get seq(): number {
    return this.#seq;
  }

  /** False once the next sequence number would leave the signed 32-bit range: handshake again. */
  get usable(): boolean {
    return this.#seq < INT32_MAX;
  }

  /**
   * Encrypts and signs one request with the next sequence number.
   * @param plaintext UTF-8 JSON
   * @returns the body to post and the seq for `/app/request?seq=`
   * @throws RangeError when the sequence number is exhausted (see {@link usable})
   */
  encrypt(plaintext: string | Uint8Array): { body: Buffer; seq: number } {
    if (!this.usable) throw new RangeError('KLAP sequence number exhausted');
    this.#seq += 1;
    const ciphertext = this.#crypt(true, this.#seq, plaintext);
    return { body: Buffer.concat([this.#sign(this.#seq, ciphertext), ciphertext]), seq: this.#seq };
  }

  /**
   * Checks the signature of a reply (or of a request, on the device side) and decrypts it.
   * @param body 32-byte signature ‖ ciphertext
   * @param seq the sequence number of the request it answers
   * @returns the plaintext bytes
   * @throws KlapReplyError when the body is too short, the signature does not match this
   *   session and seq, or the padding is wrong
   */
  decrypt(body: Uint8Array, seq: number): Buffer {
    if (body.length < 48 || (body.length - 32) % 16 !== 0) {
      throw new KlapReplyError(`body of ${body.length} bytes is not a signature and AES blocks`);
    }
    const ciphertext = body.subarray(32);
    const expected = this.#sign(seq, ciphertext);
    if (!timingSafeEqual(expected, body.subarray(0, 32))) {
      throw new KlapReplyError(`signature does not match this session (seq ${seq})`);
    }
    try {
      return this.#crypt(false, seq, ciphertext);
    } catch (err) {
      throw new KlapReplyError(`cannot decrypt (${(err as Error).message})`);
    }
  }

  /**
   * Encrypts a reply with a given seq (the device side: the simulator answers request `seq`).
   * @returns signature ‖ ciphertext
   */
  encryptWithSeq(plaintext: string | Uint8Array, seq: number): Buffer {
    const ciphertext = this.#crypt(true, seq, plaintext);
    return Buffer.concat([this.#sign(seq, ciphertext), ciphertext]);
  }

  #sign(seq: number, ciphertext: Uint8Array): Buffer {
    this.#seqBytes.writeInt32BE(seq, 0);
    return digest('sha256', this.sig, this.#seqBytes, ciphertext);
  }

  #crypt(encrypt: boolean, seq: number, data: string | Uint8Array): Buffer {
    this.#iv.writeInt32BE(seq, 12);
    const c = encrypt
      ? createCipheriv('aes-128-cbc', this.key, this.#iv)
      : createDecipheriv('aes-128-cbc', this.key, this.#iv);
    const input = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return Buffer.concat([c.update(input), c.final()]);
  }
}
