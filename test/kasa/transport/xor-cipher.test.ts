import { describe, expect, it } from 'vitest';
import {
  decrypt as refDecrypt,
  encrypt as refEncrypt,
  encryptWithHeader as refEncryptWithHeader,
} from 'tplink-smarthome-crypto';
import {
  HEADER_BYTES,
  INITIAL_KEY,
  decrypt,
  encodeFrame,
  encrypt,
  readFrameLength,
} from '../../../src/kasa/transport/xor-cipher.js';

/**
 * An independent reference, written the way softScheck's tplink_smartplug.py does it
 * (`a = key ^ ord(i); key = a; result += chr(a)`), over an array of UTF-8 byte values instead of
 * a Buffer, so it shares no code or loop shape with src/kasa/transport/xor-cipher.ts.
 */
function pyEncrypt(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  const result: number[] = [];
  bytes.reduce((key, b) => {
    const a = key ^ b;
    result.push(a);
    return a;
  }, 0xab);
  return result;
}

function pyFrame(text: string): number[] {
  const body = pyEncrypt(text);
  const n = body.length;
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...body];
}

const SYSINFO = '{"system":{"get_sysinfo":{}}}';
/** Computed with the Python loop above and checked against tplink-smarthome-crypto. */
const SYSINFO_FRAME_B64 = 'AAAAHdDygfiL/5r31e+UttG0wJ/sleaP4YfoyvCL9ov2';

const SAMPLES = [
  SYSINFO,
  '{"system":{"get_sysinfo":{}},"emeter":{"get_realtime":{}}}',
  '{"emeter":{"get_realtime":{"voltage_mv":231067,"current_ma":14,"power_mw":928,"total_wh":55139,"err_code":0}}}',
  '',
  'x',
];

describe('cipher', () => {
  it('uses 171 as the initial key', () => {
    expect(INITIAL_KEY).toBe(171);
    expect(encrypt('{')[0]).toBe(0x7b ^ 171);
  });

  it('encrypts the sysinfo request to the known frame', () => {
    expect(Buffer.from(pyFrame(SYSINFO)).toString('base64')).toBe(SYSINFO_FRAME_B64);
    expect(refEncryptWithHeader(SYSINFO).toString('base64')).toBe(SYSINFO_FRAME_B64);
    expect(encodeFrame(SYSINFO).toString('base64')).toBe(SYSINFO_FRAME_B64);
  });

  it.each(SAMPLES.map((s) => [s]))('matches both references for %j', (text) => {
    expect([...encrypt(text)]).toEqual(pyEncrypt(text));
    expect(encrypt(text).equals(refEncrypt(text))).toBe(true);
    expect([...encodeFrame(text)]).toEqual(pyFrame(text));
    expect(decrypt(refEncrypt(text)).toString('utf8')).toBe(text);
    expect(refDecrypt(encrypt(text)).toString('utf8')).toBe(text);
  });

  it('works on UTF-8 bytes: a multibyte alias round-trips and the header counts bytes', () => {
    const text = JSON.stringify({
      system: { set_dev_alias: { alias: 'Kühlschrank ❄️ Küche 冷蔵庫' } },
    });
    const bytes = Buffer.byteLength(text, 'utf8');
    expect(bytes).toBeGreaterThan(text.length);
    const frame = encodeFrame(text);
    expect(frame.length).toBe(HEADER_BYTES + bytes);
    expect(readFrameLength(frame)).toBe(bytes);
    expect(frame.readUInt32BE(0)).toBe(bytes);
    expect(decrypt(frame.subarray(HEADER_BYTES)).toString('utf8')).toBe(text);
    expect(frame.equals(refEncryptWithHeader(text))).toBe(true);
  });

  it('accepts bytes as well as strings', () => {
    const bytes = new TextEncoder().encode(SYSINFO);
    expect(encrypt(bytes).equals(encrypt(SYSINFO))).toBe(true);
  });

  it('reads the frame length from a header inside a larger buffer', () => {
    const buf = Buffer.concat([Buffer.from([9, 9]), encodeFrame(SYSINFO)]);
    expect(readFrameLength(buf.subarray(2))).toBe(SYSINFO.length);
    expect(readFrameLength(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toBe(0xffffffff);
  });
});
