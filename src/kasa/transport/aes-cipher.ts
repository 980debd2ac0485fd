/**
 * The AES ("securePassthrough") transport's cryptography, as python-kasa's
 * `kasa/transports/aestransport.py` describes it (after petretiandrea/plugp100):
 *
 * - the client sends an RSA public key (1024 bit, PEM, the base64 on one line); the plug answers
 *   a 32-byte secret encrypted to it with RSA PKCS#1 v1.5: AES-128 key ‖ IV;
 * - every request after that is AES-128-CBC with that key and IV (the same IV each time),
 *   PKCS#7 padded, base64 in JSON;
 * - `login_device` carries `username` = base64(sha1-hex(e-mail)) and, for login v1, `password` =
 *   base64(password); for login v2, `password2` = base64(sha1-hex(password)).
 *
 * Node ≥ 20.11 refuses RSA PKCS#1 v1.5 decryption in `crypto.privateDecrypt` (CVE-2023-46809,
 * the Marvin timing attack) unless the whole process runs with `--security-revert`. The one
 * decryption the plug forces on us is done with node-forge instead, so the rest of the process
 * keeps Node's protection; key generation and everything symmetric stays in Node's crypto.
 */
import { createCipheriv, createDecipheriv, createHash, generateKeyPair } from 'node:crypto';
import forge from 'node-forge';
import type { Credentials } from './credentials.js';

/** The login generations: `lv` in the discovery reply (absent on older firmware: 1). */
export type LoginVersion = 1 | 2;

/** An AES session: key and IV from the plug's handshake reply. */
export class AesSession {
  /**
   * @param key 16 bytes
   * @param iv 16 bytes
   */
  constructor(
    readonly key: Buffer,
    readonly iv: Buffer,
  ) {}

  /**
   * @param secret the 32 bytes the plug sent (after RSA decryption): key ‖ IV
   * @throws RangeError when it is not 32 bytes
   */
  static fromSecret(secret: Buffer): AesSession {
    if (secret.length !== 32) {
      throw new RangeError(`AES handshake secret is ${secret.length} bytes, expected 32`);
    }
    return new AesSession(secret.subarray(0, 16), secret.subarray(16, 32));
  }

  /** AES-128-CBC, PKCS#7, base64. */
  encrypt(plaintext: string | Uint8Array): string {
    const c = createCipheriv('aes-128-cbc', this.key, this.iv);
    const input = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    return Buffer.concat([c.update(input), c.final()]).toString('base64');
  }

  /**
   * @param base64 a `response` (or, on the device side, a `request`) field
   * @returns the plaintext bytes
   * @throws Error when it is not base64 of whole AES blocks or the padding is wrong
   */
  decrypt(base64: string): Buffer {
    const data = Buffer.from(base64, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) {
      throw new Error(`${data.length} bytes are not whole AES blocks`);
    }
    const d = createDecipheriv('aes-128-cbc', this.key, this.iv);
    return Buffer.concat([d.update(data), d.final()]);
  }
}

function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * The `login_device` params.
 * @param version 1: `{"username","password"}`; 2: `{"username","password2"}`
 * @param account e-mail and password
 */
export function loginParams(version: LoginVersion, account: Credentials): Record<string, string> {
  const username = b64(sha1Hex(account.username));
  return version === 2
    ? { username, password2: b64(sha1Hex(account.password)) }
    : { username, password: b64(account.password) };
}

/** The client's RSA key pair for the AES handshake. */
export interface RsaKeyPair {
  /** `-----BEGIN PUBLIC KEY-----\n<base64 SPKI DER on one line>\n-----END PUBLIC KEY-----\n`. */
  publicPem: string;
  /**
   * RSA PKCS#1 v1.5 decryption (node-forge).
   * @throws Error when the padding is wrong
   */
  decrypt(ciphertext: Buffer): Buffer;
}

/**
 * PEM as python-kasa sends it: the base64 of the DER on a single line.
 * @param der SubjectPublicKeyInfo DER
 */
export function onelinePem(der: Buffer): string {
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
}

/**
 * Generates an RSA key pair (in Node's thread pool, without blocking the event loop).
 * @param bits modulus size: 1024 for the AES handshake (python-kasa `KeyPair.create_key_pair`)
 */
export function generateRsaKeyPair(bits = 1024): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, publicKey, privateKey) => {
        if (err) {
          reject(err);
          return;
        }
        const key = forge.pki.privateKeyFromPem(privateKey);
        resolve({
          publicPem: onelinePem(publicKey),
          decrypt: (ciphertext) =>
            Buffer.from(key.decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary'),
        });
      },
    );
  });
}

let shared: Promise<RsaKeyPair> | undefined;

/**
 * The process's AES handshake key pair, generated once on first use (python-kasa keeps one per
 * device config; one per process costs less and reveals nothing more).
 */
export function sharedRsaKeyPair(): Promise<RsaKeyPair> {
  shared ??= generateRsaKeyPair(1024).catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}
