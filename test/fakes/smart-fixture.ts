/**
 * Replays a python-kasa capture of a newer plug (SMART methods, or the IOT HS100 hw 4.1 on KLAP)
 * through the project's simulator: the capture's answers behind the simulator's own KLAP or AES
 * server (`src/sim/http-plug.ts`) and dispatcher (`src/sim/smart-answer.ts`), with the capture's
 * `discovery_result` answered on a UDP port, its `http_port` replaced by the port bound.
 *
 * The captures are python-kasa's (GPL-3.0-or-later, see `shared/fixtures/kasa-smart/INDEX.md`):
 * read from ../shared at test time, never copied into this repository.
 *
 * What is live: `set_device_info {"device_on"}` flips `device_on` in the replayed
 * `get_device_info` (or the child's entries); everything else answers as captured. A method the
 * capture does not hold (or holds as `null`) answers `-1002`, as the simulator does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answer, type DeviceView } from '../../src/sim/answer.js';
import { SimulatedHttpPlug } from '../../src/sim/http-plug.js';
import { answerSmart, UNKNOWN_METHOD, type SmartView } from '../../src/sim/smart-answer.js';
import { SimulatedTdpResponder } from '../../src/sim/tdp-responder.js';
import type { Credentials } from '../../src/kasa/transport/credentials.js';

type Json = Record<string, unknown>;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared/fixtures/kasa-smart` beside the repository. */
export const smartFixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'kasa-smart');
/** The IOT-over-KLAP capture. */
export const iotKlapFixture = path.resolve(
  repoRoot,
  '..',
  'shared',
  'fixtures',
  'kasa',
  'HS100(UK)_4.1_1.1.0.json',
);
/** Whether the captures are there; suites skip (visibly) when not. */
export const smartFixturesAvailable = fs.existsSync(smartFixturesDir);

/** Every SMART capture's file name, sorted. */
export function smartFixtureFiles(): string[] {
  return smartFixturesAvailable
    ? fs
        .readdirSync(smartFixturesDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
}

const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};

/** Reads a capture. */
export function loadFixture(file: string): Json {
  const full = path.isAbsolute(file) ? file : path.join(smartFixturesDir, file);
  return JSON.parse(fs.readFileSync(full, 'utf8')) as Json;
}

/** The capture's `discovery_result.result`. */
export function discoveryOf(fixture: Json): Json {
  return obj(obj(fixture['discovery_result'])['result']);
}

/** A SMART view answering from a capture. */
export function fixtureView(fixture: Json): SmartView {
  const data = structuredClone(fixture);
  const children = obj(data['child_devices']);
  const listed = (): Json[] =>
    (obj(data['get_child_device_list'])['child_device_list'] as Json[] | undefined) ?? [];
  return {
    hasChild: (id) => id in children,
    call: (method, params, childId) => {
      const source = childId === undefined ? data : obj(children[childId]);
      if (method === 'set_device_info') {
        const on = params?.['device_on'];
        if (typeof on === 'boolean') {
          obj(source['get_device_info'])['device_on'] = on;
          const entry = listed().find((c) => c['device_id'] === childId);
          if (childId !== undefined && entry !== undefined) entry['device_on'] = on;
        }
        return { error_code: 0 };
      }
      const value = source[method];
      if (value === undefined || value === null) return UNKNOWN_METHOD;
      if (method === 'get_child_device_list' && typeof params?.['start_index'] === 'number') {
        const all = listed();
        return {
          error_code: 0,
          result: { ...obj(value), child_device_list: all.slice(params['start_index']) },
        };
      }
      return { error_code: 0, result: structuredClone(value) };
    },
  };
}

/** An IOT view answering `system.get_sysinfo` from a capture (HS100 hw 4.1). */
export function iotFixtureView(fixture: Json): DeviceView {
  const sysinfo = structuredClone(obj(obj(fixture['system'])['get_sysinfo']));
  return {
    hasEmeter: false,
    sysinfo: () => ({ ...sysinfo }),
    realtime: () => ({}),
    setRelay: (on) => {
      sysinfo['relay_state'] = on ? 1 : 0;
    },
  };
}

/** A started replay: the HTTP plug and its discovery responder. */
export interface FixturePlug {
  http: SimulatedHttpPlug;
  tdp: SimulatedTdpResponder;
  /** `klap` or `aes`, from the capture's discovery result. */
  transport: 'klap' | 'aes';
  stop(): Promise<void>;
}

/**
 * Serves a capture on loopback: KLAP or AES as its discovery result says (KLAP v1 and the IOT
 * dispatcher for an `IOT.*` device), its discovery answered on a free UDP port.
 * @param fixture a loaded capture
 * @param account the account the replayed plug holds
 * @param host loopback address to bind
 */
export async function startFixturePlug(
  fixture: Json,
  account: Credentials,
  host = '127.0.0.1',
): Promise<FixturePlug> {
  const disc = discoveryOf(fixture);
  const schm = obj(disc['mgt_encrypt_schm']);
  const transport = String(schm['encrypt_type']).toLowerCase() === 'aes' ? 'aes' : 'klap';
  const iot = String(disc['device_type']).startsWith('IOT.');
  const lv = schm['lv'] === 2 ? 2 : 1;
  let dispatch: (json: string) => string;
  if (iot) {
    const view = iotFixtureView(fixture);
    dispatch = (json) => JSON.stringify(answer(JSON.parse(json) as unknown, view) ?? {});
  } else {
    const view = fixtureView(fixture);
    dispatch = (json) => JSON.stringify(answerSmart(JSON.parse(json) as unknown, view));
  }
  const http = new SimulatedHttpPlug({
    transport,
    klapVersion: iot ? 1 : 2,
    loginVersion: lv,
    account,
    dispatch,
    host,
  });
  await http.start();
  const tdp = new SimulatedTdpResponder(
    () => ({ ...disc, ip: host, mgt_encrypt_schm: { ...schm, http_port: http.port } }),
    host,
  );
  try {
    await tdp.start();
  } catch (err) {
    await http.stop();
    throw err;
  }
  return {
    http,
    tdp,
    transport,
    stop: async () => {
      await http.stop();
      await tdp.stop();
    },
  };
}
