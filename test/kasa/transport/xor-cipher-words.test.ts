import { describe, expect, it } from 'vitest';
import { INITIAL_KEY, decrypt, encrypt } from '../../../src/kasa/transport/xor-cipher.js';

/** The byte-at-a-time definition, to check decrypt()'s four-bytes-at-a-time path against. */
function byteDecrypt(c: Uint8Array): number[] {
  const out: number[] = [];
  let key = INITIAL_KEY;
  for (const b of c) {
    out.push(key ^ b);
    key = b;
  }
  return out;
}

describe('decrypt() word path', () => {
  it('matches the byte definition for every length 0..70 and every alignment', () => {
    const plain = Buffer.from(
      '{"system":{"get_sysinfo":{"alias":"Küche ☕","relay_state":1,"rssi":-61,"err_code":0}}}',
    );
    for (let len = 0; len <= 70; len++) {
      const cipher = encrypt(plain.subarray(0, len));
      for (let shift = 0; shift < 4; shift++) {
        // The same ciphertext at byte offsets 0..3 of a fresh ArrayBuffer.
        const backing = new Uint8Array(len + 4);
        const view = backing.subarray(shift, shift + len);
        view.set(cipher);
        const got = decrypt(view);
        expect([...got]).toEqual(byteDecrypt(view));
        expect(got.equals(plain.subarray(0, len))).toBe(true);
      }
    }
  });

  it('matches on random bytes (every byte value in every lane)', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 255;
    for (let round = 0; round < 50; round++) {
      const c = Uint8Array.from({ length: 64 + round }, rand);
      expect([...decrypt(c)]).toEqual(byteDecrypt(c));
    }
  });
});
