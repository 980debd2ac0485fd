import { describe, expect, it } from 'vitest';
import { PlugError } from '../../../src/errors.js';
import { isObject, parseJsonObject } from '../../../src/kasa/protocol/json.js';

describe('isObject', () => {
  it.each([
    ['an object', { a: 1 }, true],
    ['null', null, false],
    ['an array', [1], false],
    ['a string', 'x', false],
    ['a number', 0, false],
  ])('%s', (_name, value, expected) => {
    expect(isObject(value)).toBe(expected);
  });
});

describe('parseJsonObject', () => {
  it('returns the decoded object', () => {
    expect(parseJsonObject(Buffer.from('{"a":{"b":2}}'), '127.0.0.1:9999')).toEqual({
      a: { b: 2 },
    });
  });

  it('names the target and what was read when the body is not JSON', () => {
    const fn = (): unknown => parseJsonObject(Buffer.from('{"a":'), 'p:1', 'login reply');
    expect(fn).toThrow(PlugError);
    expect(fn).toThrow(/^p:1: login reply is not JSON \(/);
    try {
      fn();
    } catch (err) {
      expect((err as PlugError).code).toBe('PLUG_BAD_JSON');
      expect((err as PlugError).target).toBe('p:1');
    }
  });

  it.each(['[1,2]', '"text"', '42', 'null'])('refuses %s: JSON but not an object', (text) => {
    expect(() => parseJsonObject(Buffer.from(text), 'p:1')).toThrow(
      'reply is JSON but not an object',
    );
  });
});
