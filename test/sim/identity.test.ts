import { describe, expect, it } from 'vitest';
import { defaultChildIds, deviceIdOf, hexOf, macOf, seedOf } from '../../src/sim/identity.js';

describe('simulated identity', () => {
  it('derives the same seed from the same alias, another from another', () => {
    expect(seedOf('desk')).toBe(seedOf('desk'));
    expect(seedOf('desk')).not.toBe(seedOf('lamp'));
    expect(Number.isInteger(seedOf('desk')) && seedOf('desk') >= 0).toBe(true);
  });

  it('gives a 40-hex deviceId and child ids of deviceId plus a two-digit index', () => {
    const id = deviceIdOf(7);
    expect(id).toMatch(/^[0-9A-F]{40}$/);
    expect(defaultChildIds(7, 3)).toEqual([`${id}00`, `${id}01`, `${id}02`]);
  });

  it('salts the hex digits by purpose', () => {
    expect(hexOf(7, 'hw', 32)).toMatch(/^[0-9A-F]{32}$/);
    expect(hexOf(7, 'hw', 32)).not.toBe(hexOf(7, 'fw', 32));
  });

  it('writes one MAC with the separators IOT and SMART devices use', () => {
    const colon = macOf('50:C7:BF', 7);
    expect(colon).toMatch(/^50:C7:BF(:[0-9A-F]{2}){3}$/);
    expect(macOf('50:C7:BF', 7, '-')).toBe(colon.replaceAll(':', '-'));
    expect(macOf('50:C7:BF', 7, '')).toBe(colon.replaceAll(':', ''));
  });
});
