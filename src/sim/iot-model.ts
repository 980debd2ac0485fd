/**
 * The device side of a simulated IOT plug or strip (`plug.ts` serves it over TCP, `udp.ts` over
 * UDP): one relay, on-time and load model per outlet (`outlet.ts`, `load.ts`), rendered by the
 * profile (`profiles.ts`) into sysinfo and emeter objects, and the {@link DeviceView} the
 * dispatcher (`answer.ts`) answers from. No I/O.
 */
import type { DeviceView } from './answer.js';
import type { OutletState } from './iot-sysinfo.js';
import { LOAD_PRESETS, type LoadConfig, type LoadPreset, type LoadSample } from './load.js';
import { SimOutlet } from './outlet.js';
import { childIdsOf, type SimProfile } from './profiles.js';

/** Loads of a strip's outlets when neither the outlet nor the plug names one, in turn. */
const STRIP_LOADS: readonly LoadPreset[] = ['desk', 'lamp', 'fridge'];

/** One outlet of a simulated power strip. */
export interface OutletOptions {
  /** User-given outlet name (sysinfo `children[].alias`). */
  alias: string;
  /** Appliance shape behind the outlet; default the plug's `load`, else desk, lamp, fridge in turn. */
  load?: LoadPreset | Partial<LoadConfig>;
  /** Relay state at boot; default the plug's `relay`, else on. */
  relay?: boolean;
}

/** How to build an {@link IotModel} (see `SimulatedPlugOptions` in `plug.ts`). */
export interface IotModelOptions {
  profile: SimProfile;
  alias: string;
  /** Seeds the load noise and the identity (MAC, deviceId). */
  seed: number;
  /** Appliance shape behind the emeter; default `desk`. On a strip: each outlet's default. */
  load?: LoadPreset | Partial<LoadConfig>;
  /** Relay state at boot; default on. On a strip: each outlet's default. */
  relay?: boolean;
  /** WiFi signal, dBm; default derived from the seed (−38 … −72). */
  rssi?: number;
  /** Time source, ms since the epoch. */
  now: () => number;
  /** A strip's outlets, exactly as many as the profile's `outlets`. */
  outlets?: readonly OutletOptions[];
}

/** The load config of one outlet: the profile's mains voltage, then the preset or overrides. */
function loadConfig(
  profile: SimProfile,
  seed: number,
  load: LoadPreset | Partial<LoadConfig>,
): Partial<LoadConfig> {
  const shape = typeof load === 'string' ? LOAD_PRESETS[load] : load;
  const mains = profile.mainsV === undefined ? {} : { nominalV: profile.mainsV };
  return { seed, ...mains, ...shape };
}

/** The state and renderings of a simulated IOT plug or strip. */
export class IotModel {
  /** The model this plug answers as. */
  readonly profile: SimProfile;
  /** Seed of the load noise and the identity (MAC, deviceId). */
  readonly seed: number;
  readonly #alias: string;
  readonly #rssi: number | undefined;
  readonly #now: () => number;
  /** One unit per outlet of a strip; a single plug's one relay and load otherwise. */
  readonly #units: SimOutlet[];
  /** A strip's child ids, in outlet order; empty for a single plug. */
  readonly #ids: string[];
  readonly #aliases: string[];

  /**
   * @param options see {@link IotModelOptions}
   * @throws Error when `outlets` is given for a single-plug profile or does not match the
   *   profile's outlet count, or a custom profile's `childIds()` has the wrong length
   */
  constructor(options: IotModelOptions) {
    this.profile = options.profile;
    this.seed = options.seed;
    this.#alias = options.alias;
    this.#rssi = options.rssi;
    this.#now = options.now;
    const n = this.profile.outlets ?? 0;
    if (options.outlets !== undefined && options.outlets.length !== Math.max(n, 0))
      throw new Error(
        `SimulatedPlug: ${this.profile.model} has ${Math.max(n, 0)} outlets, ` +
          `options give ${options.outlets.length}`,
      );
    this.#ids = childIdsOf(this.profile, this.seed);
    const relay = options.relay ?? true;
    if (this.#ids.length === 0) {
      const config = loadConfig(this.profile, this.seed, options.load ?? 'desk');
      this.#units = [new SimOutlet(config, relay, this.#now)];
      this.#aliases = [];
      return;
    }
    const outlets =
      options.outlets ?? this.#ids.map((_, i) => ({ alias: `Outlet ${i + 1}` }) as OutletOptions);
    this.#aliases = outlets.map((o) => o.alias);
    this.#units = outlets.map((o, i) => {
      const load = o.load ?? options.load ?? (STRIP_LOADS[i % STRIP_LOADS.length] as LoadPreset);
      const config = loadConfig(this.profile, (this.seed + i) >>> 0, load);
      return new SimOutlet(config, o.relay ?? relay, this.#now);
    });
  }

  /** Boots every unit: energy back to 0 kWh, on-time from now. */
  boot(): void {
    for (const unit of this.#units) unit.boot();
  }

  /** Relay state; on a strip: whether at least one outlet is on. */
  get relay(): boolean {
    return this.#units.some((u) => u.relay);
  }

  /**
   * Switches the relay as `system.set_relay_state` would. On a strip (a request without
   * `context`): every outlet (simulator choice, not verified on firmware).
   */
  setRelay(on: boolean): void {
    for (const u of this.#units) u.setRelay(on);
  }

  /**
   * What the emeter measures now: V, A, W, kWh since `start()`. On a strip: outlet 1's.
   * @throws Error before `start()`
   */
  reading(): LoadSample {
    const sample = (this.#units[0] as SimOutlet).sample();
    if (sample === undefined) throw new Error('SimulatedPlug: reading() before start()');
    return sample;
  }

  /** The `system.get_sysinfo` object the plug would send now (a strip's with `children[]`). */
  sysinfo(): Record<string, unknown> {
    const rssi = this.#rssi ?? -38 - (this.seed % 35);
    const onTimeS = Math.max(...this.#units.map((u) => u.onTimeS()));
    const base = { alias: this.#alias, relay: this.relay, onTimeS, rssi, seed: this.seed };
    if (this.#ids.length === 0) return this.profile.sysinfo(base);
    const outlets: OutletState[] = this.#ids.map((id, i) => {
      const unit = this.#units[i] as SimOutlet;
      return { id, alias: this.#aliases[i] ?? '', relay: unit.relay, onTimeS: unit.onTimeS() };
    });
    return this.profile.sysinfo({ ...base, outlets });
  }

  /**
   * The `emeter.get_realtime` object the plug would send now to a request without `context`;
   * `undefined` without an emeter. On a strip: outlet 1's (simulator choice: the HS300
   * captures, asked without context, carry `slot_id` 0).
   * @throws Error before `start()`
   */
  realtime(): Record<string, unknown> | undefined {
    if (this.#ids.length > 0) return this.outletRealtime(0);
    return this.profile.emeter === 'none' ? undefined : this.profile.realtime(this.reading());
  }

  /** A strip's child ids (sysinfo `children[].id`) in outlet order; `[]` for a single plug. */
  outletIds(): string[] {
    return [...this.#ids];
  }

  /**
   * Relay state of one outlet of a strip.
   * @param index outlet index, 0-based (outlet 1 is 0)
   * @throws RangeError when the plug has no such outlet
   */
  outletRelay(index: number): boolean {
    return this.#outlet(index).relay;
  }

  /**
   * Switches one outlet of a strip, as `set_relay_state` with that child id would.
   * @param index outlet index, 0-based
   * @throws RangeError when the plug has no such outlet
   */
  setOutletRelay(index: number, on: boolean): void {
    this.#outlet(index).setRelay(on);
  }

  /**
   * What one outlet's emeter measures now: V, A, W, kWh since `start()`.
   * @param index outlet index, 0-based
   * @throws RangeError when the plug has no such outlet; Error before `start()`
   */
  outletReading(index: number): LoadSample {
    const sample = this.#outlet(index).sample();
    if (sample === undefined) throw new Error('SimulatedPlug: outletReading() before start()');
    return sample;
  }

  /**
   * The `emeter.get_realtime` object of one outlet (the reply to a request whose context names
   * it), in the profile's style; `undefined` without an emeter.
   * @param index outlet index, 0-based
   * @throws RangeError when the plug has no such outlet; Error before `start()`
   */
  outletRealtime(index: number): Record<string, unknown> | undefined {
    const sample = this.outletReading(index);
    return this.profile.emeter === 'none' ? undefined : this.profile.realtime(sample, index);
  }

  /**
   * What the dispatcher (`answer.ts`) sees of this plug: the live sysinfo, emeter and relays,
   * with the outlets of a strip. For other front ends than TCP (e.g. UDP).
   */
  deviceView(): DeviceView {
    const view: DeviceView = {
      hasEmeter: this.profile.emeter !== 'none',
      sysinfo: () => this.sysinfo(),
      realtime: () => this.realtime() ?? {},
      setRelay: (on) => this.setRelay(on),
      now: this.#now,
    };
    if (this.#ids.length === 0) return view;
    return {
      ...view,
      outlets: {
        ids: this.outletIds(),
        realtime: (i) => this.outletRealtime(i) ?? {},
        setRelay: (i, on) => this.setOutletRelay(i, on),
      },
    };
  }

  #outlet(index: number): SimOutlet {
    const unit =
      Number.isInteger(index) && index < this.#ids.length ? this.#units[index] : undefined;
    if (unit === undefined)
      throw new RangeError(`SimulatedPlug: no outlet ${index} (${this.#ids.length} outlets)`);
    return unit;
  }
}
