/**
 * How a simulated plug answers one decrypted request: pure dispatch by module and method, with
 * the reply-content faults applied. No I/O; the TCP server lives in `plug.ts`.
 *
 * The reply mirrors the request's shape (docs/protocol.md#requests-and-batching): every module
 * asked gets a key, every method asked gets a key inside it. Errors use the two levels real plugs
 * use:
 * module level `{"<module>":{"err_code":-1,"err_msg":"module not support"}}` and method level
 * `{"<module>":{"<method>":{"err_code":-2,"err_msg":"member not support"}}}`.
 *
 * Power strips (HS300, KP303) are asked per outlet by a top-level
 * `"context":{"child_ids":["<child id>"]}` beside the modules (docs/protocol.md#power-strips).
 * `context` is not a module: the reply never carries it (real strips do not echo it).
 * With a context, `emeter.get_realtime` answers that outlet and `system.set_relay_state`
 * switches it; `system.get_sysinfo` ignores the context (the whole strip's sysinfo). Without a
 * context the plug-level {@link DeviceView} methods answer (on a strip: outlet 1's reading, all
 * outlets switched; see `plug.ts`).
 *
 * The `time` module answers in UTC (timezone index 38), and the emeter's `get_daystat` /
 * `get_monthstat` hold one entry, today's / this month's, carrying the since-boot total.
 *
 * Simulator choices, not verified firmware facts:
 * - a context naming an id the plug does not have (or any id, on a single plug) answers every
 *   module asked at module level with {@link ENTRY_NOT_EXIST}, `system.get_sysinfo` included;
 * - a context without a non-empty `child_ids` array is ignored (as if absent); a non-string id
 *   is an unknown id;
 * - several ids: `set_relay_state` switches each of them, `get_realtime` answers the first.
 */

import { isObject, type Json } from '../kasa/protocol/json.js';

/** `err_code -1`: the plug has no such module (HS100 asked for `emeter`). */
export const MODULE_NOT_SUPPORT = { err_code: -1, err_msg: 'module not support' } as const;
/** `err_code -2`: the module exists but not this method. */
export const METHOD_NOT_SUPPORT = { err_code: -2, err_msg: 'member not support' } as const;
/** `err_code -3`: a method's argument is missing or out of range. */
export const INVALID_ARGUMENT = { err_code: -3, err_msg: 'invalid argument' } as const;

/**
 * `err_code -14`: a `context.child_ids` entry names no outlet. The code and text are the
 * simulator's choice (not verified on firmware), sent at module level for each module asked.
 */
export const ENTRY_NOT_EXIST = { err_code: -14, err_msg: 'entry not exist' } as const;

/** A power strip's outlets, as the dispatcher addresses them through `context.child_ids`. */
export interface OutletsView {
  /** Child ids (sysinfo `children[].id`) in outlet order; index 0 is outlet 1. */
  readonly ids: readonly string[];
  /** `emeter.get_realtime` of outlet `index` (0-based), `err_code` 0 included. */
  realtime(index: number): Json;
  /** `system.set_relay_state` of outlet `index` (0-based). */
  setRelay(index: number, on: boolean): void;
}

/** What the dispatcher needs from the plug it answers for. */
export interface DeviceView {
  /** `system.get_sysinfo` now, `err_code` 0 included. */
  sysinfo(): Json;
  /** Whether the model has an `emeter` module at all. */
  readonly hasEmeter: boolean;
  /**
   * `emeter.get_realtime` now, `err_code` 0 included (only called when {@link hasEmeter}).
   * The answer to a request without `context`.
   */
  realtime(): Json;
  /** `system.set_relay_state` of a request without `context`. */
  setRelay(on: boolean): void;
  /** A power strip's outlets; absent on a single plug (every child id is then unknown). */
  readonly outlets?: OutletsView;
  /**
   * The plug's wall clock, ms since the epoch: with it the `time` module answers (`get_time`,
   * `get_timezone`) and the emeter's `get_daystat` / `get_monthstat`, which python-kasa's client
   * reads on every update (`kasa/iot/modules/time.py`, `usage.py`).
   */
  now?(): number;
}

/** `get_timezone` index of UTC in the firmware's table (python-kasa `iottimezone.py`: 38 "UCT"). */
export const UTC_TIMEZONE_INDEX = 38;

/** Today's (or this month's) entry of `get_daystat` / `get_monthstat`, from the emeter's total. */
function statList(rt: Json, at: Date, byDay: boolean): Json[] {
  const entry: Json = { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1 };
  if (byDay) entry['day'] = at.getUTCDate();
  if (typeof rt['total_wh'] === 'number') entry['energy_wh'] = rt['total_wh'];
  else entry['energy'] = typeof rt['total'] === 'number' ? rt['total'] : 0;
  return [entry];
}

/** Faults that change a reply's content but not its framing. */
export interface ContentFaults {
  /** Answer `emeter` with this `err_code` at module level or at `get_realtime` level. */
  errCode?: { level: 'module' | 'method'; code?: number; msg?: string };
  /** Fields merged over `emeter.get_realtime` (inject `null`, strings, …). */
  emeterFields?: Json;
  /** Top-level modules added to every reply, e.g. `{"cnCloud":{"err_code":0}}`. */
  extraModule?: Json;
}

type Method = (args: unknown) => Json;

/** The outlets a request addresses: `undefined` without a context, `null` for an unknown id. */
type Target = readonly number[] | undefined | null;

/** Resolves `request.context.child_ids` against the plug's outlets. */
function targetOf(request: Json, device: DeviceView): Target {
  const context = request['context'];
  const ids = isObject(context) ? context['child_ids'] : undefined;
  if (!Array.isArray(ids) || ids.length === 0) return undefined;
  const known = device.outlets?.ids ?? [];
  const out: number[] = [];
  for (const id of ids) {
    const i = typeof id === 'string' ? known.indexOf(id) : -1;
    if (i < 0) return null;
    out.push(i);
  }
  return out;
}

function modules(
  device: DeviceView,
  faults: ContentFaults,
  target: readonly number[] | undefined,
): Record<string, Record<string, Method>> {
  const outlets = target === undefined ? undefined : device.outlets;
  const system: Record<string, Method> = {
    get_sysinfo: () => device.sysinfo(),
    set_relay_state: (args) => {
      const state = isObject(args) ? args['state'] : undefined;
      if (state !== 0 && state !== 1) return { ...INVALID_ARGUMENT };
      if (target === undefined || outlets === undefined) device.setRelay(state === 1);
      else for (const i of target) outlets.setRelay(i, state === 1);
      return { err_code: 0 };
    },
  };
  const out: Record<string, Record<string, Method>> = { system };
  const now = device.now;
  if (device.hasEmeter) {
    const first = target?.[0];
    const realtime = (): Json => ({
      ...(first === undefined || outlets === undefined
        ? device.realtime()
        : outlets.realtime(first)),
      ...faults.emeterFields,
    });
    out['emeter'] = { get_realtime: realtime };
    if (now !== undefined) {
      out['emeter']['get_daystat'] = () => ({
        day_list: statList(realtime(), new Date(now()), true),
        err_code: 0,
      });
      out['emeter']['get_monthstat'] = () => ({
        month_list: statList(realtime(), new Date(now()), false),
        err_code: 0,
      });
    }
  }
  if (now !== undefined && target === undefined) {
    out['time'] = {
      get_time: () => {
        const d = new Date(now());
        return {
          year: d.getUTCFullYear(),
          month: d.getUTCMonth() + 1,
          mday: d.getUTCDate(),
          hour: d.getUTCHours(),
          min: d.getUTCMinutes(),
          sec: d.getUTCSeconds(),
          err_code: 0,
        };
      },
      get_timezone: () => ({ index: UTC_TIMEZONE_INDEX, err_code: 0 }),
    };
  }
  return out;
}

function errorOf(fault: NonNullable<ContentFaults['errCode']>): Json {
  return { err_code: fault.code ?? -1, err_msg: fault.msg ?? 'module not support' };
}

/**
 * Answers one request the way the plug would.
 *
 * @param request the parsed request JSON; a top-level `context.child_ids` addresses strip outlets
 * @param device the plug's live state
 * @param faults content faults to apply (see {@link ContentFaults})
 * @returns the reply object, or `undefined` when the request is not a JSON object (a real plug
 *   sends nothing back; the caller closes the connection)
 */
export function answer(
  request: unknown,
  device: DeviceView,
  faults: ContentFaults = {},
): Json | undefined {
  if (!isObject(request)) return undefined;
  const target = targetOf(request, device);
  const api = modules(device, faults, target ?? undefined);
  const reply: Json = {};
  for (const [name, methods] of Object.entries(request)) {
    if (name === 'context') continue;
    if (target === null) {
      reply[name] = { ...ENTRY_NOT_EXIST };
      continue;
    }
    if (name === 'emeter' && faults.errCode?.level === 'module') {
      reply[name] = errorOf(faults.errCode);
      continue;
    }
    const mod = Object.hasOwn(api, name) ? api[name] : undefined;
    if (mod === undefined || !isObject(methods)) {
      reply[name] = { ...MODULE_NOT_SUPPORT };
      continue;
    }
    const out: Json = {};
    for (const [method, args] of Object.entries(methods)) {
      if (name === 'emeter' && faults.errCode?.level === 'method') {
        out[method] = errorOf(faults.errCode);
        continue;
      }
      const fn = Object.hasOwn(mod, method) ? mod[method] : undefined;
      out[method] = fn === undefined ? { ...METHOD_NOT_SUPPORT } : fn(args);
    }
    reply[name] = out;
  }
  return { ...reply, ...faults.extraModule };
}
