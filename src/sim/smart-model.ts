/**
 * The device side of a simulated SMART plug or strip (`smart-plug.ts` serves it): one load model
 * and relay per outlet (`outlet.ts`, `load.ts`), the identity (`smart-info.ts`), and the answer to
 * each SMART method (`smart-energy.ts` for the energy ones). Local time is the injected clock
 * plus `utcOffsetMin`. A strip's outlets are answered through `control_child`. No I/O.
 */
import type { Json } from '../kasa/protocol/json.js';
import { defaultChildIds } from './identity.js';
import { LOAD_PRESETS, type LoadConfig, type LoadPreset, type LoadSample } from './load.js';
import { SimOutlet } from './outlet.js';
import { UNKNOWN_METHOD, type SmartAnswer, type SmartView } from './smart-answer.js';
import { EnergyCounters, energyAnswer } from './smart-energy.js';
import { deviceInfo, discoveryResult, type SmartIdentity } from './smart-info.js';
import { componentsOf, type SmartProfile } from './smart-profiles.js';

/** One outlet of a simulated SMART strip. */
export interface SmartOutletOptions {
  alias: string;
  load?: LoadPreset | Partial<LoadConfig>;
  relay?: boolean;
}

/** How to build a {@link SmartModel}. */
export interface SmartModelOptions {
  profile: SmartProfile;
  alias: string;
  /** Identity and load noise seed. */
  seed: number;
  /** Appliance behind the plug (each outlet's default on a strip); default `desk`. */
  load?: LoadPreset | Partial<LoadConfig>;
  /** A strip's outlets: alias, load and relay each; default `Outlet n`, on. */
  outlets?: readonly SmartOutletOptions[];
  relay?: boolean;
  /** dBm; default from the seed. */
  rssi?: number;
  /** The device's UTC offset, minutes (its local midnight resets `today_energy`); default 0. */
  utcOffsetMin?: number;
  /** Whether the device is bound to a cloud account. */
  owned: boolean;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  /** The bound address, as `get_device_info` and discovery report it. */
  host: () => string;
}

/** The state and answers of a simulated SMART device. */
export class SmartModel {
  readonly profile: SmartProfile;
  readonly seed: number;
  /** Who the device is (for discovery). */
  readonly identity: SmartIdentity;
  readonly #now: () => number;
  readonly #host: () => string;
  readonly #units: SimOutlet[];
  readonly #ids: string[];
  readonly #counters = new EnergyCounters();
  #bootedAt = 0;

  /**
   * @param options profile, identity, loads, clock
   * @throws Error when `outlets` does not match the profile's outlet count
   */
  constructor(options: SmartModelOptions) {
    this.profile = options.profile;
    this.seed = options.seed;
    this.#now = options.now;
    this.#host = options.host;
    const n = this.profile.outlets ?? 0;
    const mains = this.profile.mainsV === undefined ? {} : { nominalV: this.profile.mainsV };
    const shape = (l: LoadPreset | Partial<LoadConfig> | undefined): Partial<LoadConfig> =>
      typeof l === 'string' ? LOAD_PRESETS[l] : (l ?? LOAD_PRESETS.desk);
    let aliases = [options.alias];
    if (n === 0) {
      this.#units = [
        new SimOutlet(
          { seed: this.seed, ...mains, ...shape(options.load) },
          options.relay ?? true,
          this.#now,
        ),
      ];
      this.#ids = [];
    } else {
      const outlets =
        options.outlets ??
        Array.from({ length: n }, (_, i): SmartOutletOptions => ({ alias: `Outlet ${i + 1}` }));
      if (outlets.length !== n)
        throw new Error(`${this.profile.model} has ${n} outlets, options give ${outlets.length}`);
      this.#units = outlets.map(
        (o, i) =>
          new SimOutlet(
            { seed: (this.seed + i) >>> 0, ...mains, ...shape(o.load ?? options.load) },
            o.relay ?? options.relay ?? true,
            this.#now,
          ),
      );
      aliases = outlets.map((o) => o.alias);
      this.#ids = defaultChildIds(this.seed, n);
    }
    this.identity = {
      profile: this.profile,
      seed: this.seed,
      alias: options.alias,
      aliases,
      ids: this.#ids,
      rssi: options.rssi ?? -38 - (this.seed % 35),
      utcOffsetMin: options.utcOffsetMin ?? 0,
      owned: options.owned,
    };
  }

  /** The strip's child ids (`device_id`), in outlet order; `[]` for a plug. */
  outletIds(): string[] {
    return [...this.#ids];
  }
  /** Relay of the plug (a strip: any outlet on). */
  get relay(): boolean {
    return this.#units.some((u) => u.relay);
  }
  /** Relay of one outlet (0-based). */
  outletRelay(index: number): boolean {
    return (this.#units[index] as SimOutlet).relay;
  }

  /**
   * What the meter of unit `index` (0 for a plug) measures now: V, A, W, kWh since boot.
   * @throws Error before `boot()`
   */
  reading(index = 0): LoadSample {
    const s = this.#units[index]?.sample();
    if (s === undefined) throw new Error('SimulatedSmartPlug: reading() before start()');
    return s;
  }

  /** Boots the device: energy from the load presets' initial values, usage from now. */
  boot(): void {
    this.#bootedAt = this.#now();
    for (const u of this.#units) u.boot();
  }

  /** The `result` of discovery on UDP 20002 (python-kasa's `DiscoveryResult` fields). */
  discoveryResult(httpPort: number): Json {
    return discoveryResult(this.identity, this.#host(), httpPort);
  }

  /** The SMART dispatcher's view of this plug. */
  view(): SmartView {
    return {
      hasChild: (id) => this.#ids.includes(id),
      call: (method, params, childId) => {
        if (childId !== undefined)
          return this.#childCall(this.#ids.indexOf(childId), method, params);
        return this.#call(method, params);
      },
    };
  }

  #call(method: string, params: Json | undefined): SmartAnswer {
    const strip = this.#ids.length > 0;
    switch (method) {
      case 'component_nego':
        return ok({ component_list: list(componentsOf(this.profile)) });
      case 'get_device_info':
        return ok(this.#info(strip ? undefined : 0));
      case 'set_device_info':
        if (strip) return { error_code: -1008 };
        return this.#set(0, params);
      case 'get_device_time':
        return ok({
          time_diff: this.identity.utcOffsetMin,
          timestamp: Math.floor(this.#now() / 1000),
          region: this.profile.zone,
        });
      case 'get_device_usage':
        return ok(this.#usage());
      case 'get_connect_cloud_state':
        return ok({ status: 0 });
      case 'get_led_info':
        return ok({
          led_rule: 'always',
          led_status: true,
          night_mode: { night_mode_type: 'sunrise_sunset' },
        });
      case 'get_child_device_list':
        if (!strip) return UNKNOWN_METHOD;
        return ok(
          this.#page(
            this.#ids.map((_, i) => this.#info(i, true)),
            'child_device_list',
            params,
          ),
        );
      case 'get_child_device_component_list':
        if (!strip) return UNKNOWN_METHOD;
        return ok(
          this.#page(
            this.#ids.map((id) => ({
              device_id: id,
              component_list: list(componentsOf({ ...this.profile, outlets: 0 }, true)),
            })),
            'child_component_list',
            params,
          ),
        );
      default:
        return strip ? UNKNOWN_METHOD : this.#energyCall(0, method);
    }
  }

  #childCall(i: number, method: string, params: Json | undefined): SmartAnswer {
    if (i < 0) return { error_code: -1008 };
    switch (method) {
      case 'component_nego':
        return ok({ component_list: list(componentsOf({ ...this.profile, outlets: 0 }, true)) });
      case 'get_device_info':
        return ok(this.#info(i, true));
      case 'set_device_info':
        return this.#set(i, params);
      default:
        return this.#energyCall(i, method);
    }
  }

  #energyCall(i: number, method: string): SmartAnswer {
    if (this.profile.energy === 0) return UNKNOWN_METHOD;
    const sample = this.reading(i);
    const local = this.#local().toISOString();
    return energyAnswer(this.profile, method, {
      sample,
      counters: this.#counters.at(i, sample.energy, local),
      onTimeS: this.#units[i]!.onTimeS(),
      localTime: local.slice(0, 19).replace('T', ' '),
      outlet: this.#ids.length > 0,
    });
  }

  #set(i: number, params: Json | undefined): SmartAnswer {
    const on = params?.['device_on'];
    if (on !== undefined && typeof on !== 'boolean') return { error_code: -1008 };
    if (typeof on === 'boolean') this.#units[i]!.setRelay(on);
    return { error_code: 0 };
  }

  /** `get_device_info` of the plug (`unit` 0), of the strip (`undefined`) or of an outlet. */
  #info(unit: number | undefined, child = false): Json {
    const u = unit === undefined ? undefined : (this.#units[unit] as SimOutlet);
    const state = u === undefined ? undefined : { relay: u.relay, onTimeS: u.onTimeS() };
    return deviceInfo(this.identity, this.#host(), unit, state, child);
  }

  #usage(): Json {
    const minutes = Math.floor((this.#now() - this.#bootedAt) / 60_000);
    const spans = { today: minutes, past7: minutes, past30: minutes };
    return {
      time_usage: spans,
      power_usage: spans,
      saved_power: { today: 0, past7: 0, past30: 0 },
    };
  }

  /** A page of a list, as `get_child_device_list` sends it (10 per page). */
  #page(all: Json[], key: string, params: Json | undefined): Json {
    const start = typeof params?.['start_index'] === 'number' ? params['start_index'] : 0;
    return { [key]: all.slice(start, start + 10), start_index: start, sum: all.length };
  }

  #local(): Date {
    return new Date(this.#now() + this.identity.utcOffsetMin * 60_000);
  }
}

function ok(result: unknown): SmartAnswer {
  return { error_code: 0, result };
}

function list(components: Record<string, number>): { id: string; ver_code: number }[] {
  return Object.entries(components).map(([id, ver_code]) => ({ id, ver_code }));
}
