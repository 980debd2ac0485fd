/**
 * The TP-Link Smart Home "XOR autokey" cipher and its TCP length frame. Pure code, no I/O.
 *
 * Cipher (softScheck, "Reverse Engineering the TP-Link HS110"; python-kasa `xortransport.py`):
 * initial key 171; encrypt `c = key ^ p; key = c`; decrypt `p = key ^ c; key = c`. It works on
 * UTF-8 bytes, never on JS string characters (an alias with "é" is two bytes).
 *
 * TCP frame: 4-byte big-endian plaintext length, then the ciphertext. Current firmware rejects the
 * old all-zero prefix (softScheck/tplink-smartplug#41, #44). UDP uses the cipher without the
 * prefix.
 */

/** The autokey's initial value. */
export const INITIAL_KEY = 171;

/** Bytes in the TCP length prefix. */
export const HEADER_BYTES = 4;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Encrypts a UTF-8 string (or raw bytes) into ciphertext bytes with no length prefix (UDP form).
 * @param plaintext JSON text or its UTF-8 bytes
 * @returns ciphertext, same length as the plaintext's UTF-8 bytes
 */
export function encrypt(plaintext: string | Uint8Array): Buffer {
  const input = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const out = Buffer.allocUnsafe(input.length);
  let key = INITIAL_KEY;
  for (let i = 0; i < input.length; i++) {
    key ^= input[i] as number;
    out[i] = key;
  }
  return out;
}

/**
 * Decrypts ciphertext bytes (no length prefix) into plaintext bytes.
 * @param ciphertext bytes as sent by the plug
 * @returns plaintext bytes; decode with `toString('utf8')`
 */
export function decrypt(ciphertext: Uint8Array): Buffer {
  const n = ciphertext.length;
  const out = Buffer.allocUnsafe(n);
  let key = INITIAL_KEY;
  let i = 0;
  // Each plaintext byte is its ciphertext byte XOR the previous ciphertext byte, so four bytes
  // at a time: word ^ (word << 8 | previous byte), on little-endian words (every mainstream
  // CPU) when both buffers are 4-byte aligned (the read buffer and Buffer's pool are). Twice as
  // fast as the byte loop on a poll's ~700-byte reply.
  if (LITTLE_ENDIAN && n >= 16 && ((ciphertext.byteOffset | out.byteOffset) & 3) === 0) {
    const words = n >>> 2;
    const cw = new Uint32Array(ciphertext.buffer, ciphertext.byteOffset, words);
    const ow = new Uint32Array(out.buffer, out.byteOffset, words);
    for (let w = 0; w < words; w++) {
      const x = cw[w] as number;
      ow[w] = x ^ ((x << 8) | key);
      key = x >>> 24;
    }
    i = words << 2;
  }
  for (; i < n; i++) {
    const c = ciphertext[i] as number;
    out[i] = key ^ c;
    key = c;
  }
  return out;
}

/**
 * Builds one TCP request frame: length prefix + ciphertext, ready for a single socket write.
 * @param plaintext the JSON request
 * @returns `4 + n` bytes
 */
export function encodeFrame(plaintext: string | Uint8Array): Buffer {
  const body = encrypt(plaintext);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

/**
 * Reads the body length announced by a frame header.
 * @param header at least 4 bytes
 * @returns the announced body length in bytes (0 … 2³²−1)
 */
export function readFrameLength(header: Uint8Array): number {
  return Buffer.from(header.buffer, header.byteOffset, HEADER_BYTES).readUInt32BE(0);
}
