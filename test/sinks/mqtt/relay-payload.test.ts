import { describe, expect, it } from 'vitest';
import { parseRelayAction } from '../../../src/sinks/mqtt/relay-payload.js';

describe('parseRelayAction', () => {
  it.each([
    ['ON', 'ON'],
    ['off', 'OFF'],
    [' Toggle\n', 'TOGGLE'],
    ['{"state":"ON"}', 'ON'],
    ['{"state":"off"}', 'OFF'],
    ['{"state":"toggle","brightness":3}', 'TOGGLE'],
  ])('accepts %j', (payload, action) => {
    expect(parseRelayAction(payload)).toBe(action);
  });

  it.each([
    '',
    'ONN',
    '1',
    'true',
    '{"state":1}',
    '{"state":',
    '[]',
    'null',
    '{}',
    '"ON"',
    'O'.repeat(300),
  ])('rejects %j', (payload) => {
    expect(parseRelayAction(payload)).toBeUndefined();
  });
});
