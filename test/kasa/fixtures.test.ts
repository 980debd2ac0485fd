/**
 * Replays the python-kasa captures of real plugs (GPL-3.0-or-later, see INDEX.md there), read
 * from ../shared at test time and never copied into this repository.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import { xorDevice } from '../fakes/xor-device.js';
import { parsePollReply } from '../../src/kasa/protocol/iot.js';
import { hasEmeter, normalize } from '../../src/kasa/normalize.js';
import { type Measurement, type PlugIdentity } from '../../src/reading.js';
import { decrypt, encodeFrame } from '../../src/kasa/transport/xor-cipher.js';

type Json = Record<string, unknown>;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'kasa');
const exists = fs.existsSync(FIXTURES);
if (!exists)
  console.warn(`fixtures.test.ts: ${FIXTURES} is missing; the real-plug fixture suite is skipped`);
const files = exists
  ? fs
      .readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

function load(file: string): Json {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as Json;
}
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const sysinfoOf = (f: Json): Json => obj(obj(f['system'])['get_sysinfo']);
const realtimeOf = (f: Json): Json | undefined =>
  f['emeter'] === undefined ? undefined : obj(obj(f['emeter'])['get_realtime']);
/** Independent of src: `feature` is colon-separated, ENE is the energy meter. */
const advertisesEne = (s: Json): boolean => /(^|:)ENE(:|$)/.test(String(s['feature'] ?? ''));
/** Non-zero err_code at module or method level (docs/protocol.md#errors-inside-a-reply). */
const emeterFails = (f: Json): boolean => {
  const mod = obj(f['emeter']);
  return (mod['err_code'] ?? 0) !== 0 || (obj(mod['get_realtime'])['err_code'] ?? 0) !== 0;
};

/** What the test expects, computed from the raw fields: legacy as is, suffixed / 1000. */
function expected(s: Json, e: Json | undefined): { values: Measurement; identity: PlugIdentity } {
  const values: Measurement = {};
  if (e !== undefined) {
    const pick = (legacyKey: string, suffixedKey: string): number | undefined =>
      typeof e[suffixedKey] === 'number'
        ? (e[suffixedKey] as number) / 1000
        : typeof e[legacyKey] === 'number'
          ? (e[legacyKey] as number)
          : undefined;
    const pairs = [
      ['voltage', pick('voltage', 'voltage_mv')],
      ['current', pick('current', 'current_ma')],
      ['power', pick('power', 'power_mw')],
      ['energy', pick('total', 'total_wh')],
    ] as const;
    for (const [k, v] of pairs) if (v !== undefined) values[k] = v;
  }
  if (typeof s['relay_state'] === 'number') values.state = s['relay_state'] === 1 ? 'ON' : 'OFF';
  if (typeof s['rssi'] === 'number') values.rssi = s['rssi'];
  const identity: PlugIdentity = {};
  for (const k of ['alias', 'model', 'hw_ver', 'sw_ver', 'mac', 'deviceId'] as const) {
    if (typeof s[k] === 'string') identity[k] = s[k] as string;
  }
  return { values, identity };
}

/** A tiny plug that answers each request module/method from the fixture, as compact JSON. */
async function fakePlug(
  fixture: Json,
): Promise<{ port: number; asked: Json[]; close(): Promise<void> }> {
  const asked: Json[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readUInt32BE(0)) return;
      // One request after another on a kept-alive connection, as a real plug reads them.
      const end = 4 + buf.readUInt32BE(0);
      const request = JSON.parse(decrypt(buf.subarray(4, end)).toString('utf8')) as Json;
      buf = buf.subarray(end);
      asked.push(request);
      const reply: Json = {};
      for (const [mod, methods] of Object.entries(request)) {
        const have = obj(fixture[mod]);
        reply[mod] =
          'err_code' in have
            ? have
            : Object.fromEntries(Object.keys(obj(methods)).map((m) => [m, have[m]]));
      }
      socket.write(encodeFrame(JSON.stringify(reply)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    asked,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.skipIf(!exists)(`real-plug fixtures in ${FIXTURES}`, () => {
  it('holds fixtures of both emeter styles, plugs without ENE and emeter errors', () => {
    const all = files.map(load);
    expect(all.length).toBeGreaterThan(0);
    expect(all.some((f) => typeof realtimeOf(f)?.['voltage'] === 'number')).toBe(true);
    expect(all.some((f) => typeof realtimeOf(f)?.['voltage_mv'] === 'number')).toBe(true);
    expect(all.some((f) => !advertisesEne(sysinfoOf(f)))).toBe(true);
    expect(all.some(emeterFails)).toBe(true);
  });

  describe.each(files.map((f) => [f]))('%s', (file) => {
    const fixture = load(file);
    const s = sysinfoOf(fixture);
    const ene = advertisesEne(s);
    const e = ene ? realtimeOf(fixture) : undefined;
    const want = expected(s, e);

    it('normalizes sysinfo and emeter to the expected values', () => {
      expect(hasEmeter(s)).toBe(ene);
      const got = normalize(s, e);
      expect(got.values).toEqual(want.values);
      expect(got.identity).toEqual(want.identity);
      if (!ene) {
        for (const k of ['power', 'energy', 'voltage', 'current'] as const)
          expect(k in got.values).toBe(false);
      }
      if (!('relay_state' in s)) expect('state' in got.values).toBe(false);
    });

    it('gives the same values when replayed over the wire', async () => {
      const fake = await fakePlug(fixture);
      const plug = xorDevice({ host: '127.0.0.1', port: fake.port });
      try {
        const children = Array.isArray(s['children']) ? (s['children'] as Json[]) : undefined;
        for (let i = 0; i < 2; i++) {
          const sample = await plug.poll(2000);
          expect(sample.identity).toEqual({ ...want.identity, transport: 'xor' });
          expect(sample.hasEmeter).toBe(ene);
          if (children === undefined) {
            expect(sample.values).toEqual(want.values);
            expect(sample.outlets).toBeUndefined();
            continue;
          }
          // A strip: its own values are sysinfo's (rssi); each outlet is read on its own. The
          // fake ignores the context, so every outlet gets the captured emeter reading.
          const { voltage, current, power, energy, ...own } = want.values;
          expect(sample.values).toEqual(own);
          const electrical = Object.fromEntries(
            Object.entries({ voltage, current, power, energy }).filter(([, v]) => v !== undefined),
          );
          expect(sample.outlets).toEqual(
            children.map((c, j) => ({
              id: c['id'],
              position: j + 1,
              alias: c['alias'],
              values: { state: c['state'] === 1 ? 'ON' : 'OFF', ...electrical },
            })),
          );
        }
        const askedEmeter = fake.asked.some((r) => 'emeter' in r);
        expect(askedEmeter).toBe(ene);
        if (children !== undefined && ene) {
          // One outlet per request, by its child id, after a sysinfo without emeter.
          const outletAsks = fake.asked.filter((r) => 'emeter' in r);
          expect(outletAsks.map((r) => obj(r['context'])['child_ids'])).toEqual(
            [...children, ...children].map((c) => [c['id']]),
          );
          expect(fake.asked.filter((r) => 'system' in r).every((r) => !('emeter' in r))).toBe(true);
        }
      } finally {
        plug.close(); // the kept-alive connection, or the fake's close() would wait for it
        await fake.close();
      }
    });
  });

  const failing = files.filter((f) => {
    const fixture = load(f);
    return fixture['emeter'] !== undefined && emeterFails(fixture);
  });
  it.each(failing.map((f) => [f]))(
    '%s: its emeter error reply raises PLUG_DEVICE_ERROR',
    (file) => {
      const fixture = load(file);
      const body = Buffer.from(
        JSON.stringify({ system: fixture['system'], emeter: fixture['emeter'] }),
      );
      let err: unknown;
      try {
        parsePollReply(body, true, 'fixture');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PlugError);
      expect((err as PlugError).code).toBe(PlugErrorCode.DEVICE_ERROR);
    },
  );
});
