import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import type { KasaDevice } from '../../src/kasa/device.js';
import { waitFor } from '../fakes/wait.js';
import { xorDevice } from '../fakes/xor-device.js';
import type { SimFaults } from '../../src/sim/faults.js';
import type { ProfileName } from '../../src/sim/profiles.js';
import { SimulatedPlug } from '../../src/sim/plug.js';

/** Deadline for one poll, ms: short, so timeouts are quick, yet ample for loopback. */
const TIMEOUT_MS = 300;

let sim: SimulatedPlug;
let plug: KasaDevice;

async function boot(profile: ProfileName): Promise<void> {
  await sim?.stop();
  sim = new SimulatedPlug({ profile, alias: `faulty ${profile}`, seed: 11 });
  const port = await sim.start();
  plug = xorDevice({ host: '127.0.0.1', port });
}

beforeEach(() => boot('kp115'));
afterEach(async () => {
  // The session keeps its connection open between polls; closed, it leaves nothing open.
  plug.close();
  await waitFor(() => sim.connections === 0, 5000, 'the plug to see the session close');
  await sim.stop();
});

async function pollCode(timeoutMs = TIMEOUT_MS): Promise<string> {
  const err: unknown = await plug.poll(timeoutMs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlugError);
  return (err as PlugError).code;
}

describe('KasaDevice.poll() against simulator faults', () => {
  it('refused connection → PLUG_REFUSED; the plug comes back on the same port', async () => {
    await sim.setFault('refuse', true);
    expect(await pollCode()).toBe(PlugErrorCode.REFUSED);
    await sim.setFault('refuse', undefined);
    await expect(plug.poll(2000)).resolves.toMatchObject({ hasEmeter: true });
  });

  it('hang → PLUG_TIMEOUT within the deadline', async () => {
    await sim.setFault('hang', true);
    const started = Date.now();
    expect(await pollCode()).toBe(PlugErrorCode.TIMEOUT);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(took).toBeLessThan(TIMEOUT_MS + 1500);
    expect(sim.requests).toBe(1);
  });

  it('delay past the deadline → PLUG_TIMEOUT; a short delay is fine', async () => {
    await sim.setFault('delayMs', 20);
    await expect(plug.poll(2000)).resolves.toBeDefined();
    await sim.setFault('delayMs', TIMEOUT_MS * 3);
    expect(await pollCode()).toBe(PlugErrorCode.TIMEOUT);
  });

  it('drip past the deadline → PLUG_TIMEOUT', async () => {
    await sim.setFault('dripMs', 20);
    expect(await pollCode()).toBe(PlugErrorCode.TIMEOUT);
  });

  it('a reply dripped one byte at a time within the deadline is read whole', async () => {
    await boot('hs100');
    await sim.setFault('dripMs', 1);
    const sample = await plug.poll(15_000);
    expect(sample.identity.model).toBe('HS100(UK)');
  });

  it.each<[string, Partial<SimFaults>, string]>([
    ['close before the header', { closeEarly: true }, PlugErrorCode.CLOSED],
    ['close mid-body', { closeMidBody: true }, PlugErrorCode.CLOSED],
    ['length 0', { badLength: 0 }, PlugErrorCode.BAD_LENGTH],
    ['length 0xFFFFFFFF', { badLength: 0xffffffff }, PlugErrorCode.BAD_LENGTH],
    ['invalid JSON', { invalidJson: true }, PlugErrorCode.BAD_JSON],
    ['JSON array', { rawReply: '[1,2,3]' }, PlugErrorCode.BAD_JSON],
    ['JSON string', { rawReply: '"system"' }, PlugErrorCode.BAD_JSON],
    ['JSON null', { rawReply: 'null' }, PlugErrorCode.BAD_JSON],
    ['an object without system', { rawReply: '{}' }, PlugErrorCode.BAD_REPLY],
  ])('%s → %s on first contact', async (_name, faults, code) => {
    await sim.setFaults(faults);
    expect(await pollCode()).toBe(code);
  });

  it('garbage → PLUG_BAD_LENGTH or PLUG_BAD_JSON', async () => {
    await sim.setFault('garbage', true);
    for (let i = 0; i < 5; i++) {
      expect([PlugErrorCode.BAD_LENGTH, PlugErrorCode.BAD_JSON]).toContain(await pollCode());
    }
  });

  it.each<[string, ProfileName, Partial<SimFaults>, string]>([
    [
      'module-level err_code',
      'kp115',
      { errCode: { level: 'module' } },
      PlugErrorCode.DEVICE_ERROR,
    ],
    [
      'method-level err_code',
      'hs110v1',
      { errCode: { level: 'method', code: -2, msg: 'member not support' } },
      PlugErrorCode.DEVICE_ERROR,
    ],
    ['power_mw null', 'kp115', { emeterFields: { power_mw: null } }, PlugErrorCode.BAD_REPLY],
    [
      'voltage_mv a string',
      'hs110v4',
      { emeterFields: { voltage_mv: '230123' } },
      PlugErrorCode.BAD_REPLY,
    ],
    [
      'legacy power a string',
      'hs110v1',
      { emeterFields: { power: '12.5' } },
      PlugErrorCode.BAD_REPLY,
    ],
    ['legacy total null', 'hs110v1', { emeterFields: { total: null } }, PlugErrorCode.BAD_REPLY],
    [
      'an extra module',
      'kp115',
      { extraModule: { cnCloud: { get_info: { err_code: 0 } } } },
      PlugErrorCode.BAD_REPLY,
    ],
  ])('emeter reply with %s (%s) → %s', async (_name, profile, faults, code) => {
    await boot(profile);
    await expect(plug.poll(2000)).resolves.toBeDefined();
    await sim.setFaults(faults);
    expect(await pollCode()).toBe(code);
    expect(sim.received.at(-1)).toEqual({
      system: { get_sysinfo: {} },
      emeter: { get_realtime: {} },
    });
  });

  it('after an emeter err_code the plug re-learns from sysinfo', async () => {
    await expect(plug.poll(2000)).resolves.toBeDefined();
    await sim.setFaults({ errCode: { level: 'module' } });
    expect(await pollCode()).toBe(PlugErrorCode.DEVICE_ERROR);
    expect(plug.emeter).toBeUndefined();
    await sim.clearFaults();
    const before = sim.requests;
    await expect(plug.poll(2000)).resolves.toMatchObject({ hasEmeter: true });
    expect(sim.received.slice(before)).toEqual([
      { system: { get_sysinfo: {} } },
      { system: { get_sysinfo: {} }, emeter: { get_realtime: {} } },
    ]);
  });
});
