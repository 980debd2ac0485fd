import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeCommand, decodePayload, parsePayload } from '../../src/cli/decode.js';
import { runTool } from '../../src/cli/tool-argv.js';
import { ConfigError } from '../../src/errors.js';
import { encodeFrame, encrypt } from '../../src/kasa/transport/xor-cipher.js';
import { sink, toolIo } from './helpers.js';

/** The TCP frame of `{"system":{"get_sysinfo":{}}}` (the brief's known vector). */
const VECTOR_B64 = 'AAAAHdDygfiL/5r31e+UttG0wJ/sleaP4YfoyvCL9ov2';
const VECTOR = Buffer.from(VECTOR_B64, 'base64');
const PRETTY = '{\n  "system": {\n    "get_sysinfo": {}\n  }\n}\n';

async function decode(payload: string, udp = false, stdin = '') {
  const out = sink();
  const err = sink();
  const code = await decodeCommand(
    payload,
    { udp },
    out.stream,
    err.stream,
    Readable.from([stdin]),
  );
  return { code, out: out.text(), err: err.text() };
}

describe('decode', () => {
  it('decrypts the known vector from base64, pretty-printed', async () => {
    expect(VECTOR.equals(encodeFrame('{"system":{"get_sysinfo":{}}}'))).toBe(true);
    expect(await decode(VECTOR_B64)).toEqual({ code: 0, out: PRETTY, err: '' });
  });

  it('decrypts hex, in Wireshark hex-stream, spaced, colon or 0x form', async () => {
    const hex = VECTOR.toString('hex');
    expect(hex.startsWith('0000001dd0f2')).toBe(true);
    for (const form of [
      hex,
      hex.toUpperCase(),
      `0x${hex}`,
      hex.match(/../g)?.join(' ') ?? '',
      hex.match(/../g)?.join(':') ?? '',
      `${hex.slice(0, 30)}\n${hex.slice(30)}\n`,
    ]) {
      expect(await decode(form)).toEqual({ code: 0, out: PRETTY, err: '' });
    }
  });

  it('--udp decrypts a payload without the length prefix', async () => {
    const udp = encrypt('{"system":{"set_relay_state":{"err_code":0}}}');
    const r = await decode(udp.toString('hex'), true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ system: { set_relay_state: { err_code: 0 } } });
    expect((await decode(udp.toString('base64'), true)).out).toBe(r.out);
  });

  it('reads the payload from stdin when given -', async () => {
    expect(await decode('-', false, `${VECTOR_B64}\n`)).toEqual({ code: 0, out: PRETTY, err: '' });
    const io = toolIo(VECTOR.toString('hex'));
    expect(await runTool(['decode', '-'], io)).toBe(0);
    expect(io.stdout()).toBe(PRETTY);
  });

  it('reports a length prefix that does not match, and still decrypts', async () => {
    const longer = Buffer.from(VECTOR);
    longer.writeUInt32BE(64, 0);
    const r = await decode(longer.toString('base64'));
    expect(r.code).toBe(1);
    expect(r.out).toBe(PRETTY);
    expect(r.err).toBe(
      'decode: length prefix says 64 bytes, but 29 follow (a truncated capture, or TCP segments ' +
        'not reassembled)\n',
    );

    const zero = Buffer.from(VECTOR);
    zero.writeUInt32BE(0, 0);
    const z = await decode(zero.toString('hex'));
    expect(z.out).toBe(PRETTY);
    expect(z.err).toContain('length prefix says 0 bytes, but 29 follow (the all-zero prefix');

    const shorter = Buffer.concat([VECTOR, encodeFrame('{}')]);
    const s = await decode(shorter.toString('hex'));
    expect(s.out).toBe(PRETTY);
    expect(s.err).toContain('length prefix says 29 bytes, but 35 follow (the 6 bytes after them');
  });

  it('hints at the other form when the payload was given in the wrong one', async () => {
    const udp = encrypt('{"time":{"get_time":{}}}');
    const asTcp = await decode(udp.toString('hex'));
    expect(asTcp.code).toBe(1);
    expect(asTcp.err).toContain('it decrypts as a UDP payload, try --udp');
    const asUdp = await decode(VECTOR_B64, true);
    expect(asUdp.code).toBe(1);
    expect(asUdp.err).toContain('matching TCP length prefix: try without --udp');
    expect(decodePayload(Buffer.from([1, 2]), false).notes[0]).toMatch(/too short/);
  });

  it('prints a plaintext that is not JSON with control characters escaped', async () => {
    const r = await decode(encodeFrame('hello\u0001world').toString('hex'));
    expect(r).toEqual({
      code: 1,
      out: 'hello\\x01world\n',
      err: 'decode: the plaintext is not JSON (wrong form, or not this protocol?)\n',
    });
  });

  it('rejects input that is neither hex nor base64 as a usage error', async () => {
    await expect(decode('not a payload!')).rejects.toThrow(/neither hex nor base64/);
    await expect(decode('  ')).rejects.toThrow(ConfigError);
    expect(() => parsePayload('abc')).not.toThrow(); // odd hex digits, valid base64
    expect(parsePayload('abc').encoding).toBe('base64');
    expect(parsePayload('abcd').encoding).toBe('hex');
    await expect(runTool(['decode'], toolIo())).rejects.toThrow(/usage: decode/);
  });
});
