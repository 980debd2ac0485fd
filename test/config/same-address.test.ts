import { describe, expect, it } from 'vitest';
import { normalizeAddress } from '../../src/config/address.js';
import { checkSameAddress } from '../../src/config/same-address.js';
import type { DeviceConfig } from '../../src/config/types.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { fileError } from './helpers.js';

/** Two entries for one plug, written differently (`address.ts`, `same-address.ts`). */

const dev = (host: string, port = 9999): DeviceConfig => ({ host, port });

/** A resolver from a table; a name not in it fails as getaddrinfo does. */
function table(entries: Record<string, string[]>) {
  return async (name: string): Promise<string[]> => {
    const found = entries[name];
    if (found === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found;
  };
}

describe('normalizeAddress', () => {
  it.each([
    ['Plug.LAN.', 'plug.lan'],
    ['192.168.1.50', '192.168.1.50'],
    ['0:0::1', '::1'],
    ['FE80:0:0::1%eth0', 'fe80::1%eth0'],
    ['::ffff:192.168.1.5', '192.168.1.5'],
    ['::FFFF:c0a8:105', '192.168.1.5'],
  ])('%s → %s', (host, normalized) => {
    expect(normalizeAddress(host)).toBe(normalized);
  });
});

describe('the config refuses one address written twice', () => {
  it.each([
    [['::1', '0:0::1'], '[::1]:9999 is already used by devices[0]'],
    [['plug.lan', 'PLUG.LAN.'], 'plug.lan:9999 is already used by devices[0]'],
    [['192.168.1.5', '::ffff:192.168.1.5'], '192.168.1.5:9999 is already used by devices[0]'],
  ])('%j', (hosts, message) => {
    fileError({ devices: hosts.map((host) => ({ host })) }, 'devices[1].host', message);
  });
});

describe('checkSameAddress: names resolved at check time', () => {
  it('refuses a host name that resolves to the address of another entry on the same port', async () => {
    const lookup = table({ 'plug.lan': ['192.168.1.50'] });
    const { problems, notes } = await checkSameAddress(
      [dev('192.168.1.50'), dev('192.168.1.60'), dev('plug.lan')],
      { lookup },
    );
    expect(notes).toEqual([]);
    expect(problems).toEqual([
      {
        path: '[2].host',
        message:
          '192.168.1.50:9999 ("plug.lan" resolves to it) is the address of devices[0] ("192.168.1.50") too: the same plug listed twice; list each plug once',
      },
    ]);
  });

  it('refuses two names of one address, and any address a name has', async () => {
    const lookup = table({ 'a.lan': ['10.0.0.9'], 'b.lan': ['fe80::9', '10.0.0.9'] });
    const { problems } = await checkSameAddress([dev('a.lan'), dev('b.lan')], { lookup });
    expect(problems.map((p) => p.path)).toEqual(['[1].host']);
  });

  it('accepts one address on two ports (two plugs behind one forwarder)', async () => {
    const lookup = table({ 'plug.lan': ['192.168.1.50'] });
    const { problems } = await checkSameAddress([dev('192.168.1.50'), dev('plug.lan', 9998)], {
      lookup,
    });
    expect(problems).toEqual([]);
  });

  it('does not fail on a name that does not resolve now: it notes that it was not compared', async () => {
    const { problems, notes } = await checkSameAddress([dev('192.168.1.50'), dev('gone.lan')], {
      lookup: table({}),
    });
    expect(problems).toEqual([]);
    expect(notes).toEqual([
      expect.stringContaining('devices[1].host: "gone.lan" did not resolve now (ENOTFOUND)'),
    ]);
    expect(notes[0]).toContain('POLL_DUPLICATE');
  });

  it('gives a resolver that does not answer LOOKUP_TIMEOUT_MS, then notes it', async () => {
    const clock = new ManualClock(0);
    const pending = checkSameAddress([dev('slow.lan')], {
      lookup: () => new Promise<string[]>(() => undefined),
      clock,
    });
    clock.advance(2000);
    const { problems, notes } = await pending;
    expect(problems).toEqual([]);
    expect(notes[0]).toContain('no answer within 2000 ms');
  });
});
