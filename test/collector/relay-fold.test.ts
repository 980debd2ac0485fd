import { describe, expect, it } from 'vitest';
import { foldAction } from '../../src/collector/relay-control.js';
import type { RelayState } from '../../src/reading.js';
import type { RelayAction } from '../../src/sinks/sink.js';

/** How a relay command folds into the wish not yet sent (`relay-control.ts`). */
describe('foldAction', () => {
  it.each<[RelayAction | undefined, RelayAction, RelayState | undefined, RelayAction | undefined]>([
    // ON and OFF replace whatever was wanted.
    [undefined, 'ON', 'OFF', 'ON'],
    ['OFF', 'ON', undefined, 'ON'],
    ['TOGGLE', 'OFF', 'ON', 'OFF'],
    // TOGGLE flips the pending wish, else the relay as last known.
    ['ON', 'TOGGLE', 'ON', 'OFF'],
    ['OFF', 'TOGGLE', 'OFF', 'ON'],
    [undefined, 'TOGGLE', 'ON', 'OFF'],
    [undefined, 'TOGGLE', 'OFF', 'ON'],
    // Nothing known: the plug is read first.
    [undefined, 'TOGGLE', undefined, 'TOGGLE'],
    // Two flips of an unknown relay cancel out.
    ['TOGGLE', 'TOGGLE', undefined, undefined],
  ])('pending %s + %s (relay %s) → %s', (pending, action, base, wanted) => {
    expect(foldAction(pending, action, base)).toBe(wanted);
  });
});
