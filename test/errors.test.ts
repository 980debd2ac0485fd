import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  PlugError,
  PlugErrorCode,
  PollError,
  PollErrorCode,
  SinkError,
  SinkErrorCode,
  isRetryable,
  type ErrorCode,
} from '../src/errors.js';

const ALL: string[] = [
  ...Object.values(PlugErrorCode),
  ...Object.values(PollErrorCode),
  ...Object.values(SinkErrorCode),
];

describe('the error code registry', () => {
  it('has exactly one entry per code, and codes are unique', () => {
    expect(new Set(ALL).size).toBe(ALL.length);
    expect(Object.keys(ERROR_CODES).sort()).toEqual([...ALL].sort());
  });

  it.each<[ErrorCode, boolean]>([
    // Plug side: python-kasa's xortransport.py line (refused and unreachable are final).
    ['PLUG_REFUSED', false],
    ['PLUG_UNREACHABLE', false],
    ['PLUG_TIMEOUT', true],
    ['PLUG_CLOSED', true],
    ['PLUG_BAD_LENGTH', true],
    ['PLUG_BAD_JSON', true],
    ['PLUG_BAD_REPLY', false],
    ['PLUG_DEVICE_ERROR', false],
    // Backed off inside the KLAP/AES transport: not to be retried at once.
    ['PLUG_AUTH', false],
    ['POLL_NOT_STARTED', false],
    ['POLL_OVERLAP', true],
    ['POLL_DUPLICATE', false],
    ['INTERNAL_ERROR', false],
    // Sink side: a broker or emonhub that is down is expected back.
    ['SINK_REFUSED', true],
    ['SINK_UNREACHABLE', true],
    ['SINK_TIMEOUT', true],
    ['SINK_CLOSED', true],
    ['SINK_AUTH', false],
    ['SINK_TLS', false],
    ['SINK_PROTOCOL', false],
    ['SINK_REJECTED', false],
  ])('%s is retryable: %s', (code, retryable) => {
    expect(isRetryable(code)).toBe(retryable);
  });

  it('is what docs/error-codes.md lists: every code, its retryable and its meaning', () => {
    const doc = readFileSync(new URL('../docs/error-codes.md', import.meta.url), 'utf8');
    // Table rows whose first cell is a code; prettier pads the cells.
    const rows = doc
      .split('\n')
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .filter((cells) => /^`[A-Z_]+`$/.test(cells[1] ?? ''));
    const documented = Object.fromEntries(
      rows.map(([, code, retryable, meaning]) => [
        code!.replaceAll('`', ''),
        { retryable: retryable === 'yes', meaning: meaning!.replaceAll('`', '') },
      ]),
    );
    expect(rows).toHaveLength(ALL.length);
    expect(documented).toEqual(ERROR_CODES);
  });
});

describe('coded errors', () => {
  it.each([
    [new PlugError(PlugErrorCode.REFUSED, '10.0.0.5:9999', 'refused'), 'PlugError', false],
    [new PollError(PollErrorCode.OVERLAP, '10.0.0.5:9999', 'still running'), 'PollError', true],
    [new SinkError(SinkErrorCode.CLOSED, '127.0.0.1:50011', 'reset'), 'SinkError', true],
  ])('%s: named, target-prefixed, retryable from the registry', (err, name, retryable) => {
    expect(err.name).toBe(name);
    expect(err.message).toMatch(/^(10\.0\.0\.5:9999|127\.0\.0\.1:50011): /);
    expect(err.retryable).toBe(retryable);
    expect(err).toBeInstanceOf(Error);
  });

  it('keeps the cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const err = new SinkError(SinkErrorCode.REFUSED, '127.0.0.1:1883', 'refused', cause);
    expect(err.cause).toBe(cause);
  });
});
