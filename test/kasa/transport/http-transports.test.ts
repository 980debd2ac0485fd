/**
 * KLAP and AES against the simulator's servers: sessions that end mid-run, a reply whose
 * signature is wrong, a rejected account (one rejection, then a back-off without traffic), and a
 * plug that hangs in the middle of the handshake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PlugError, PlugErrorCode } from '../../../src/errors.js';
import { SmartDevice } from '../../../src/kasa/smart-device.js';
import { AesTransport } from '../../../src/kasa/transport/aes.js';
import { AUTH_BACKOFF_FIRST_MS } from '../../../src/kasa/transport/auth-backoff.js';
import { KlapTransport } from '../../../src/kasa/transport/klap.js';
import type { Transport } from '../../../src/kasa/transport/transport.js';
import { SimulatedSmartPlug } from '../../../src/sim/smart-plug.js';
import { ManualClock } from '../../fakes/manual-clock.js';

const account = {
  username: 'owner@example.com',
  password: 'Right-1',
  keys: 'kasa.username and kasa.password',
};
const wrong = { ...account, password: 'Wrong-2' };
const plugs: SimulatedSmartPlug[] = [];
const clients: SmartDevice[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of plugs.splice(0)) await p.stop();
});

type Kind = 'klap' | 'aes';
async function setup(kind: Kind, opts: { clientAccount?: typeof account; sessionS?: number } = {}) {
  const clock = new ManualClock(Date.now());
  const plug = new SimulatedSmartPlug({
    profile: kind === 'klap' ? 'p110' : 'kp125m',
    alias: `Sim ${kind}`,
    account,
    ...(opts.sessionS === undefined ? {} : { sessionS: opts.sessionS }),
  });
  plugs.push(plug);
  const port = await plug.start();
  const address = { host: '127.0.0.1', port };
  const clientAccount = opts.clientAccount ?? account;
  const transport: Transport & { handshakes: number } =
    kind === 'klap'
      ? new KlapTransport(address, { account: clientAccount, clock })
      : new AesTransport(address, { account: clientAccount, clock });
  const device = new SmartDevice(transport, clock);
  clients.push(device);
  return { plug, transport, device, clock };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PlugError) return err.code;
    throw err;
  }
  return 'resolved';
}

describe.each<Kind>(['klap', 'aes'])('%s transport', (kind) => {
  it('keeps one session across polls: one handshake, one request per poll', async () => {
    const { plug, transport, device } = await setup(kind);
    await device.poll(5000);
    const before = plug.http.requests;
    for (let i = 0; i < 5; i++) await device.poll(5000);
    expect(plug.http.requests - before).toBe(5);
    expect(transport.handshakes).toBe(1);
  });

  it('handshakes again when the plug forgets the session mid-run', async () => {
    const { plug, transport, device } = await setup(kind);
    await device.poll(5000);
    plug.expireSessions();
    const sample = await device.poll(5000);
    expect(sample.identity.model).toBe(plug.profile.model);
    expect(transport.handshakes).toBe(2);
  });

  it('renews the session before its TIMEOUT cookie runs out', async () => {
    const { plug, transport, device, clock } = await setup(kind, { sessionS: 600 });
    await device.poll(5000);
    clock.advance(460_000); // past 600 s less the margin (a quarter of it: 450 s)
    await device.poll(5000);
    expect(transport.handshakes).toBe(2);
    expect(plug.http.handshakes).toBe(2);
  });

  it('rejects a wrong account once with PLUG_AUTH naming the keys, then backs off', async () => {
    const { plug, device, clock } = await setup(kind, { clientAccount: wrong });
    const first = device.poll(5000);
    await expect(first).rejects.toMatchObject({ code: PlugErrorCode.AUTH });
    await expect(first).rejects.toThrow(/kasa\.username and kasa\.password/);
    const traffic = plug.http.requests;
    for (let i = 0; i < 5; i++) expect(await codeOf(device.poll(5000))).toBe(PlugErrorCode.AUTH);
    expect(plug.http.requests).toBe(traffic);
    clock.advance(AUTH_BACKOFF_FIRST_MS + 1);
    expect(await codeOf(device.poll(5000))).toBe(PlugErrorCode.AUTH);
    expect(plug.http.requests).toBeGreaterThan(traffic);
  });

  it('gives up within the deadline when the plug hangs in the handshake', async () => {
    const { plug, device } = await setup(kind);
    plug.faults = { hangHandshake: true };
    expect(await codeOf(device.poll(300))).toBe(PlugErrorCode.TIMEOUT);
    plug.faults = {};
    expect((await device.poll(5000)).identity.model).toBe(plug.profile.model);
  });
});

describe('KLAP reply signature', () => {
  it('refuses a reply with a wrong signature and starts a new session after it', async () => {
    const { plug, transport, device } = await setup('klap');
    await device.poll(5000);
    plug.faults = { badSignature: true };
    const bad = device.poll(5000);
    await expect(bad).rejects.toMatchObject({ code: PlugErrorCode.BAD_REPLY });
    await expect(bad).rejects.toThrow(/signature/);
    plug.faults = {};
    await device.poll(5000);
    expect(transport.handshakes).toBe(2);
  });
});
