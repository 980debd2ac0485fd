import { describe, expect, it } from 'vitest';
import { parseRelayCommand } from '../../../src/sinks/mqtt/relay-payload.js';

describe('parseRelayCommand', () => {
  it.each([
    ['ON', 'ON'],
    ['off', 'OFF'],
    [' Toggle\n', 'TOGGLE'],
    ['{"state":"ON"}', 'ON'],
    ['{"state":"off"}', 'OFF'],
    ['{"state":"toggle","brightness":3}', 'TOGGLE'],
  ])('accepts %j', (payload, action) => {
    expect(parseRelayCommand(payload)).toBe(action);
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
    expect(parseRelayCommand(payload)).toBeUndefined();
  });
});
