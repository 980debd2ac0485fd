/**
 * A fake power strip built from a real HS300/KP303 capture: the project's {@link SimulatedPlug}
 * with a custom profile whose sysinfo and emeter come from the capture, so the child-id routing
 * (`"context":{"child_ids":[id]}`, docs/protocol.md#power-strips) is the simulator's own
 * (`src/sim/answer.ts`).
 *
 * The captures are python-kasa's (GPL-3.0-or-later, see `shared/fixtures/kasa/INDEX.md`): they
 * are read from ../shared at test time and never copied into this repository.
 *
 * What is live and what is captured:
 * - sysinfo: the capture's `system.get_sysinfo`, key for key, except each child's `state` (the
 *   outlet's relay) and `on_time` (whole seconds since that outlet was switched on, from the
 *   injected clock; 0 while off). Child ids and aliases are as captured
 *   (`SCRUBBED_CHILD_DEVICE_ID_1` …); relays boot as captured.
 * - emeter (HS300 only): the capture holds one reading, taken without a context (INDEX.md). The
 *   fake gives outlet i (0-based) a constant reading in the capture's exact key set, made to
 *   differ per outlet by {@link outletEmeterOf}; `slot_id` (hw 2.0) is the outlet index.
 *   A request without context answers outlet 1's, as the simulator does for every strip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmeterStyle, SimProfile } from '../../src/sim/profiles.js';
import { SimulatedPlug } from '../../src/sim/plug.js';

type Json = Record<string, unknown>;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the python-kasa captures live: `../shared/fixtures/kasa` beside the repository. */
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'kasa');

/** Whether {@link fixturesDir} exists; suites skip (visibly) when it does not. */
export const fixturesAvailable = fs.existsSync(fixturesDir);

/** The strip captures (HS300 with emeter, KP303 without), by file name. */
export const STRIP_FIXTURES = [
  'HS300(US)_1.0_1.0.10.json',
  'HS300(US)_1.0_1.0.21.json',
  'HS300(US)_2.0_1.0.12.json',
  'HS300(US)_2.0_1.0.3.json',
  'KP303(UK)_1.0_1.0.3.json',
  'KP303(US)_2.0_1.0.3.json',
  'KP303(US)_2.0_1.0.9.json',
] as const;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/**
 * Reads one capture.
 * @param file a file name in {@link fixturesDir}
 * @returns the parsed capture (module → method → reply)
 * @throws Error when the fixtures are missing or the file is not a JSON object
 */
export function loadCapture(file: string): Json {
  if (!fixturesAvailable) throw new Error(`fixture-strip: ${fixturesDir} is missing`);
  const parsed: unknown = JSON.parse(fs.readFileSync(path.join(fixturesDir, file), 'utf8'));
  if (!isObject(parsed)) throw new Error(`fixture-strip: ${file} is not a JSON object`);
  return parsed;
}

/** The capture's `system.get_sysinfo`. @throws Error when it has none or no `children[]` */
function stripSysinfoOf(capture: Json, file: string): Json {
  const system = capture['system'];
  const sysinfo = isObject(system) ? system['get_sysinfo'] : undefined;
  if (!isObject(sysinfo) || !Array.isArray(sysinfo['children']))
    throw new Error(`fixture-strip: ${file} has no strip sysinfo (children[])`);
  return sysinfo;
}

/** The capture's `emeter.get_realtime` when it answered (`err_code` 0), else `undefined`. */
export function capturedEmeterOf(capture: Json): Json | undefined {
  const emeter = capture['emeter'];
  const rt = isObject(emeter) ? emeter['get_realtime'] : undefined;
  return isObject(rt) && rt['err_code'] === 0 ? rt : undefined;
}

/**
 * The reading the fake gives outlet `index`: the captured object's keys in the captured order;
 * `err_code` as captured (0), `slot_id` = `index`, `voltage_mv` / `voltage` + 0.1 V per index,
 * every other number × (index + 1) + index (so all-zero captures still differ per outlet; legacy
 * floats stay floats when scaled).
 * @param captured the capture's `emeter.get_realtime`
 * @param index outlet index, 0-based
 */
export function outletEmeterOf(captured: Json, index: number): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(captured)) {
    if (k === 'err_code' || typeof v !== 'number') out[k] = v;
    else if (k === 'slot_id') out[k] = index;
    else if (k === 'voltage_mv') out[k] = v + 100 * index;
    else if (k === 'voltage') out[k] = v + 0.1 * index;
    else out[k] = v * (index + 1) + index;
  }
  return out;
}

/** Legacy when the capture uses `voltage`/`power` floats, else unit-suffixed. */
function styleOf(captured: Json | undefined): EmeterStyle {
  if (captured === undefined) return 'none';
  return 'voltage_mv' in captured || 'power_mw' in captured ? 'suffixed' : 'legacy';
}

/**
 * A {@link SimProfile} that answers as the captured strip: see the file comment for what is live.
 * @param capture a strip capture from {@link loadCapture}
 * @param file its name, for messages
 * @throws Error when the capture has no strip sysinfo
 */
export function fixtureStripProfile(capture: Json, file = 'capture'): SimProfile {
  const sysinfo = stripSysinfoOf(capture, file);
  const children = (sysinfo['children'] as unknown[]).map((c) => (isObject(c) ? c : {}));
  const captured = capturedEmeterOf(capture);
  const perOutlet = children.map((_, i) =>
    captured === undefined ? undefined : outletEmeterOf(captured, i),
  );
  return {
    model: String(sysinfo['model']),
    hwVer: String(sysinfo['hw_ver']),
    swVer: String(sysinfo['sw_ver']),
    feature: String(sysinfo['feature']),
    emeter: styleOf(captured),
    outlets: children.length,
    childIds: () => children.map((c) => String(c['id'])),
    sysinfo: (state) => ({
      ...clone(sysinfo),
      children: children.map((c, i) => {
        const live = state.outlets?.[i];
        if (live === undefined) return clone(c);
        return {
          ...clone(c),
          alias: live.alias,
          state: live.relay ? 1 : 0,
          on_time: live.onTimeS,
        };
      }),
    }),
    realtime: (_sample, outlet = 0) => {
      const reading = perOutlet[outlet];
      return reading === undefined ? undefined : clone(reading);
    },
  };
}

/** How to start a {@link FixtureStrip}. */
export interface FixtureStripOptions {
  /** Time source, ms since the epoch (the children's `on_time`); default `Date.now`. */
  now?: () => number;
  /** Loopback address; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default 0 (a free one). */
  port?: number;
}

/** A started fake strip. */
export interface FixtureStrip {
  /** The simulator behind it (outlet relays, fault knobs, received requests). */
  plug: SimulatedPlug;
  host: string;
  port: number;
  /** Child ids as captured, in outlet order. */
  childIds: string[];
  /** The capture's `system.get_sysinfo`, as captured (a copy). */
  sysinfo: Json;
  /** The capture's `emeter.get_realtime` (asked without context), or `undefined` (KP303). */
  capturedEmeter: Json | undefined;
  /** The raw `get_realtime` object each outlet answers, by 0-based index; empty without emeter. */
  outletEmeter: Json[];
  /** Stops the plug; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a fake strip answering as the capture `file` (see the file comment).
 * @param file a name from {@link STRIP_FIXTURES} (any strip capture in {@link fixturesDir})
 * @param opts clock and address
 * @returns the started strip
 * @throws Error when the fixtures are missing, the capture is not a strip, or the bind fails
 */
export async function startFixtureStrip(
  file: string,
  opts: FixtureStripOptions = {},
): Promise<FixtureStrip> {
  const capture = loadCapture(file);
  const sysinfo = stripSysinfoOf(capture, file);
  const profile = fixtureStripProfile(capture, file);
  const children = (sysinfo['children'] as unknown[]).map((c) => (isObject(c) ? c : {}));
  const plug = new SimulatedPlug({
    profile,
    alias: String(sysinfo['alias']),
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    ...(opts.now === undefined ? {} : { now: opts.now }),
    outlets: children.map((c) => ({ alias: String(c['alias']), relay: c['state'] === 1 })),
  });
  const port = await plug.start();
  const captured = capturedEmeterOf(capture);
  return {
    plug,
    host: plug.host,
    port,
    childIds: plug.outletIds(),
    sysinfo: clone(sysinfo),
    capturedEmeter: captured === undefined ? undefined : clone(captured),
    outletEmeter: captured === undefined ? [] : children.map((_, i) => outletEmeterOf(captured, i)),
    stop: () => plug.stop(),
  };
}
