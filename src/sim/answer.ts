/**
 * How a simulated plug answers one decrypted request: pure dispatch by module and method, with
 * the reply-content faults applied. No I/O; the TCP server lives in `sim-plug.ts`.
 *
 * The reply mirrors the request's shape (REFERENCE.md §1 "Batching"): every module asked gets a
 * key, every method asked gets a key inside it. Errors use the two levels real plugs use:
 * module level `{"<module>":{"err_code":-1,"err_msg":"module not support"}}` and method level
 * `{"<module>":{"<method>":{"err_code":-2,"err_msg":"member not support"}}}`.
 */

type Json = Record<string, unknown>;

/** `err_code -1`: the plug has no such module (HS100 asked for `emeter`). */
export const MODULE_NOT_SUPPORT = { err_code: -1, err_msg: 'module not support' } as const;
/** `err_code -2`: the module exists but not this method. */
export const METHOD_NOT_SUPPORT = { err_code: -2, err_msg: 'member not support' } as const;
/** `err_code -3`: a method's argument is missing or out of range. */
export const INVALID_ARGUMENT = { err_code: -3, err_msg: 'invalid argument' } as const;

/** What the dispatcher needs from the plug it answers for. */
export interface DeviceView {
  /** `system.get_sysinfo` now, `err_code` 0 included. */
  sysinfo(): Json;
  /** Whether the model has an `emeter` module at all. */
  readonly hasEmeter: boolean;
  /** `emeter.get_realtime` now, `err_code` 0 included (only called when {@link hasEmeter}). */
  realtime(): Json;
  /** `system.set_relay_state`. */
  setRelay(on: boolean): void;
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

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Method = (args: unknown) => Json;

function modules(
  device: DeviceView,
  faults: ContentFaults,
): Record<string, Record<string, Method>> {
  const system: Record<string, Method> = {
    get_sysinfo: () => device.sysinfo(),
    set_relay_state: (args) => {
      const state = isObject(args) ? args['state'] : undefined;
      if (state !== 0 && state !== 1) return { ...INVALID_ARGUMENT };
      device.setRelay(state === 1);
      return { err_code: 0 };
    },
  };
  const out: Record<string, Record<string, Method>> = { system };
  if (device.hasEmeter) {
    out['emeter'] = {
      get_realtime: () => ({ ...device.realtime(), ...faults.emeterFields }),
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
 * @param request the parsed request JSON
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
  const api = modules(device, faults);
  const reply: Json = {};
  for (const [name, methods] of Object.entries(request)) {
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
