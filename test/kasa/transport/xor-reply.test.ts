import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../src/kasa/transport/xor-cipher.js';
import { BAD_LENGTH, NEED_MORE, XorReplyReader } from '../../../src/kasa/transport/xor-reply.js';

/** Feeds `frame` cut at `cuts` through one shared read buffer, as `onread` does. */
function feedInPieces(reader: XorReplyReader, frame: Buffer, cuts: number[]): unknown[] {
  const shared = Buffer.alloc(frame.length + 16);
  const results: unknown[] = [];
  let from = 0;
  for (const to of [...cuts, frame.length]) {
    const n = frame.copy(shared, 0, from, to);
    const r = reader.feed(shared, n, 64 * 1024);
    // The shared buffer is reused for the next read: scribble over it like a later read would.
    shared.fill(0xee);
    results.push(Buffer.isBuffer(r) ? r.toString('utf8') : r);
    from = to;
  }
  return results;
}

describe('XorReplyReader', () => {
  const json = '{"system":{"get_sysinfo":{"alias":"desk","relay_state":1}}}';
  const frame = encodeFrame(json);

  it('decrypts a reply that came in one read', () => {
    const reader = new XorReplyReader();
    expect(feedInPieces(reader, frame, [])).toEqual([json]);
    expect(reader.overran).toBe(false);
  });

  it.each([
    ['inside the header', [2]],
    ['right after the header', [4]],
    ['inside the body, twice', [10, 30]],
    ['byte by byte', Array.from({ length: 20 }, (_, i) => i + 1)],
  ])('reassembles a reply cut %s', (_name, cuts) => {
    const reader = new XorReplyReader();
    const results = feedInPieces(reader, frame, cuts);
    expect(results.slice(0, -1).every((r) => r === NEED_MORE)).toBe(true);
    expect(results.at(-1)).toBe(json);
    expect(reader.received).toBe(frame.length);
    expect(reader.expected).toBe(frame.length - 4);
  });

  it('refuses a header announcing 0 bytes or more than the cap', () => {
    const zero = new XorReplyReader();
    expect(zero.feed(Buffer.from([0, 0, 0, 0]), 4, 100)).toBe(BAD_LENGTH);
    const big = new XorReplyReader();
    expect(big.feed(Buffer.from([0, 0, 0, 101, 1]), 5, 100)).toBe(BAD_LENGTH);
    expect(big.expected).toBe(101);
  });

  it('says when more bytes came than the reply announced', () => {
    const reader = new XorReplyReader();
    const both = Buffer.concat([frame, Buffer.from([1, 2])]);
    expect(Buffer.isBuffer(reader.feed(both, both.length, 64 * 1024))).toBe(true);
    expect(reader.overran).toBe(true);
  });

  it('starts afresh after reset()', () => {
    const reader = new XorReplyReader();
    expect(feedInPieces(reader, frame, [7]).at(-1)).toBe(json);
    reader.reset();
    reader.clear();
    expect(reader.received).toBe(0);
    expect(reader.expected).toBe(-1);
    expect(feedInPieces(reader, frame, [3, 9]).at(-1)).toBe(json);
  });
});
