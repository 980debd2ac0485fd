/**
 * KLAP and AES cryptography against vectors computed outside this code base, from the algorithm
 * as python-kasa's `klaptransport.py` and `aestransport.py` describe it (summarized in the header
 * of `src/kasa/transport/klap-cipher.ts`). How they were made: Python 3.11's `hashlib` for MD5,
 * SHA-1 and SHA-256, and the `cryptography` package's AES-CBC with PKCS#7 padding, from these
 * inputs:
 *
 *   account  "user@example.com" / "secret"
 *   local    00 01 02 … 0f        (16 bytes)
 *   remote   10 11 12 … 1f        (16 bytes)
 *
 *   auth v1  = md5(md5(user) + md5(password))
 *   auth v2  = sha256(sha1(user) + sha1(password))
 *   device proof v1 = sha256(local + auth_v1);  v2 = sha256(local + remote + auth_v2)
 *   client proof v1 = sha256(remote + auth_v1); v2 = sha256(remote + local + auth_v2)
 *   key  = sha256("lsk" + local + remote + auth_v2)[:16]
 *   iv   = sha256("iv"  + local + remote + auth_v2): [:12] prefix, [-4:] signed BE = seq0
 *   sig  = sha256("ldk" + local + remote + auth_v2)[:28]
 *   request 1: seq = seq0 + 1; ct = AES-128-CBC(key, prefix + seq as >l, PKCS7(pt));
 *              body = sha256(sig + seq as >l + ct) + ct, pt = {"method":"get_device_info"}
 *   AES: key 20..2f, iv 30..3f, same pt, base64 of the ciphertext; login v1 username =
 *        base64(sha1(user).hexdigest()), password = base64(password); v2 password2 =
 *        base64(sha1(password).hexdigest()).
 */
import { describe, expect, it } from 'vitest';
import { AesSession, loginParams } from '../../../src/kasa/transport/aes-cipher.js';
import {
  authHash,
  clientProof,
  deviceProof,
  KlapReplyError,
  KlapSession,
} from '../../../src/kasa/transport/klap-cipher.js';

const account = { username: 'user@example.com', password: 'secret' };
const local = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const remote = Buffer.from(Array.from({ length: 16 }, (_, i) => 16 + i));
const request = '{"method":"get_device_info"}';

describe('KLAP handshake vectors', () => {
  const v1 = authHash(1, account);
  const v2 = authHash(2, account);

  it.each([
    ['auth hash v1', () => v1, '9d6ce791ce44316e9e52fc1bc9d36496'],
    ['auth hash v2', () => v2, 'b039216532fc844e9ae0cc8fe3ea911c9ba09c641bb96a3e1f776d93f7b5ae9b'],
    [
      'device proof v1',
      () => deviceProof(1, local, remote, v1),
      'c2d456076f946c707000874d2e226a1c09e89a21e459272b8ec0f01cdaf774cf',
    ],
    [
      'device proof v2',
      () => deviceProof(2, local, remote, v2),
      '8ed3b905e654fbee23900d0244156a33029c025b71b03bfcc601eff33aaebb70',
    ],
    [
      'client proof v1',
      () => clientProof(1, local, remote, v1),
      '50ef3325d42cd7c999aa9e47e8cb0f8a7f6f239f1d51b39d46d581a4bb75c8c5',
    ],
    [
      'client proof v2',
      () => clientProof(2, local, remote, v2),
      '1e590e7a4dc128da48ed17e06fe23ddb6ec646bb6da2eb00708d590f194201d7',
    ],
  ])('%s', (_name, compute, hex) => {
    expect(compute().toString('hex')).toBe(hex);
  });

  it('derives the session and signs the first request', () => {
    const s = new KlapSession(local, remote, v2);
    expect(s.key.toString('hex')).toBe('35dcf29cd535ce140a239c67f641d395');
    expect(s.ivPrefix.toString('hex')).toBe('863e09a70667472d3fa152a4');
    expect(s.sig.toString('hex')).toBe('777443e2fdd5cb21052633a60e830f44c8654b3a701f449231ed11fa');
    expect(s.seq).toBe(-903964344);
    const { body, seq } = s.encrypt(request);
    expect(seq).toBe(-903964343);
    expect(body.toString('hex')).toBe(
      '81da24b0a1db4c9ec2fd895b347d416921d7f7a822457b501a52072e5f9acebf' +
        '1119b459358000bec16c976ef226a249c491bf18064c9319a51d85792116a683',
    );
  });

  it('checks a reply signature: the right seq decrypts, another seq or a flipped bit does not', () => {
    const device = new KlapSession(local, remote, v2);
    const client = new KlapSession(local, remote, v2);
    const { seq } = client.encrypt(request);
    const reply = device.encryptWithSeq('{"error_code":0}', seq);
    expect(client.decrypt(reply, seq).toString()).toBe('{"error_code":0}');
    expect(() => client.decrypt(reply, seq + 1)).toThrow(KlapReplyError);
    const flipped = Buffer.from(reply);
    flipped[40] = (flipped[40] as number) ^ 1;
    expect(() => client.decrypt(flipped, seq)).toThrow(/signature/);
    expect(() => client.decrypt(reply.subarray(0, 40), seq)).toThrow(KlapReplyError);
  });
});

describe('AES vectors', () => {
  it('encrypts as AES-128-CBC with PKCS#7, base64', () => {
    const key = Buffer.from(Array.from({ length: 16 }, (_, i) => 32 + i));
    const iv = Buffer.from(Array.from({ length: 16 }, (_, i) => 48 + i));
    const s = new AesSession(key, iv);
    expect(s.encrypt(request)).toBe('m8O3wZ6PDSH482tQaDMTFG6E1e1PnvvmWJ806G5dY5c=');
    expect(s.decrypt('m8O3wZ6PDSH482tQaDMTFG6E1e1PnvvmWJ806G5dY5c=').toString()).toBe(request);
  });

  it('hashes the login as v1 and v2', () => {
    expect(loginParams(1, account)).toEqual({
      username: 'NjNhNzEwNTY5MjYxYTI0YjM3NjYyNzViNzAwMGNlOGQ3YjMyZTJmNw==',
      password: 'c2VjcmV0',
    });
    expect(loginParams(2, account)).toEqual({
      username: 'NjNhNzEwNTY5MjYxYTI0YjM3NjYyNzViNzAwMGNlOGQ3YjMyZTJmNw==',
      password2: 'ZTVlOWZhMWJhMzFlY2QxYWU4NGY3NWNhYWE0NzRmM2E2NjNmMDVmNA==',
    });
  });
});
