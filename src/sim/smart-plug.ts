/**
 * A simulated SMART plug (Tapo P110, KP125M, a P304M strip …): live answers from a profile
 * (`smart-profiles.ts`) and one load model per outlet (`outlet.ts`, `load.ts`), served over KLAP
 * or AES (`http-plug.ts`), optionally answering discovery on UDP (`tdp-responder.ts`).
 *
 * Energy as the devices count it (python-kasa `smart/modules/energy.py`): `today_energy` and
 * `month_energy` in Wh since the device's local midnight and the first of the month (they reset
 * then), `current_power` in mW in `get_energy_usage`, in whole W in `get_current_power`;
 * `get_emeter_data` (profiles with it) in mV, mA, mW and Wh. Local time is the injected clock
 * plus `utcOffsetMin`. A strip's outlets are answered through `control_child`.
 */
import { deviceIdOf } from './profiles.js';
import { systemClock } from '../clock.js';
import { LOAD_PRESETS, type LoadConfig, type LoadPreset, type LoadSample } from './load.js';
import { SimOutlet } from './outlet.js';
import { answerSmart, UNKNOWN_METHOD, type SmartAnswer, type SmartView } from './smart-answer.js';
import {
  componentsOf,
  SMART_PROFILES,
  type SmartProfile,
  type SmartProfileName,
} from './smart-profiles.js';
import { SimulatedHttpPlug, type HttpFaults } from './http-plug.js';
import { SimulatedTdpResponder } from './tdp-responder.js';
import type { Credentials } from '../kasa/transport/credentials.js';
import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

/** One outlet of a simulated SMART strip. */
export interface SmartOutletOptions {
  alias: string;
  load?: LoadPreset | Partial<LoadConfig>;
  relay?: boolean;
}

/** How to build a {@link SimulatedSmartPlug}. */
export interface SimulatedSmartPlugOptions {
  profile: SmartProfileName | SmartProfile;
  alias: string;
  /** Identity and load noise seed; default derived from the alias. */
  seed?: number;
  /** Loopback address; default `127.0.0.1`. */
  host?: string;
  /** HTTP port; 0 (default) picks a free one. */
  port?: number;
  /** The account the plug is bound to; default the blank one. */
  account?: Credentials;
  /** Appliance behind the plug (each outlet's default on a strip); default `desk`. */
  load?: LoadPreset | Partial<LoadConfig>;
  /** A strip's outlets: alias, load and relay each; default `Outlet n`, on. */
  outlets?: readonly SmartOutletOptions[];
  relay?: boolean;
  /** dBm; default from the seed. */
  rssi?: number;
  /** Wall clock, ms since the epoch; default the system clock. */
  now?: () => number;
  /** The device's UTC offset, minutes (its local midnight resets `today_energy`); default 0. */
  utcOffsetMin?: number;
  /** Session life announced in `TIMEOUT`, s; default 86400. */
  sessionS?: number;
  /** Answer discovery on this UDP port of `host` (20002 on a LAN; 0: a free one); absent: none. */
  discoveryPort?: number;
}

function seedOf(alias: string): number {
  let h = 2166136261;
  for (const ch of alias) h = Math.imul(h ^ (ch.codePointAt(0) as number), 16777619) >>> 0;
  return h;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function hexOf(seed: number, salt: string, chars: number): string {
  return createHash('sha256').update(`${salt}:${seed}`).digest('hex').slice(0, chars).toUpperCase();
}

/** Day and month counters of one outlet's energy. */
interface Counters {
  day: string;
  dayStartKWh: number;
  month: string;
  monthStartKWh: number;
}

/** A SMART plug on loopback HTTP. The constructor only assigns; `start()` binds. */
export class SimulatedSmartPlug {
  readonly profile: SmartProfile;
  readonly seed: number;
  readonly http: SimulatedHttpPlug;
  readonly #opts: SimulatedSmartPlugOptions;
  readonly #now: () => number;
  readonly #units: SimOutlet[];
  readonly #aliases: string[];
  readonly #ids: string[];
  readonly #counters: (Counters | undefined)[];
  #tdp: SimulatedTdpResponder | undefined;
  #bootedAt = 0;

  /** @param options profile, alias, account, load, clock, address */
  constructor(options: SimulatedSmartPlugOptions) {
    this.#opts = options;
    this.profile =
      typeof options.profile === 'string' ? SMART_PROFILES[options.profile] : options.profile;
    this.seed = options.seed ?? seedOf(options.alias);
    this.#now = options.now ?? systemClock.now;
    const n = this.profile.outlets ?? 0;
    const mains = this.profile.mainsV === undefined ? {} : { nominalV: this.profile.mainsV };
    const shape = (l: LoadPreset | Partial<LoadConfig> | undefined): Partial<LoadConfig> =>
      typeof l === 'string' ? LOAD_PRESETS[l] : (l ?? LOAD_PRESETS.desk);
    if (n === 0) {
      this.#units = [
        new SimOutlet(
          { seed: this.seed, ...mains, ...shape(options.load) },
          options.relay ?? true,
          this.#now,
        ),
      ];
      this.#aliases = [options.alias];
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
      this.#aliases = outlets.map((o) => o.alias);
      const parent = deviceIdOf(this.seed);
      this.#ids = outlets.map((_, i) => `${parent}${String(i).padStart(2, '0')}`);
    }
    this.#counters = this.#units.map(() => undefined);
    const view = this.view();
    this.http = new SimulatedHttpPlug({
      transport: this.profile.transport,
      klapVersion: 2,
      loginVersion: this.profile.loginVersion ?? 1,
      ...(options.account === undefined ? {} : { account: options.account }),
      ...(options.sessionS === undefined ? {} : { sessionS: options.sessionS }),
      dispatch: (json) => {
        let request: unknown;
        try {
          request = JSON.parse(json);
        } catch {
          request = undefined;
        }
        return JSON.stringify(answerSmart(request, view));
      },
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      now: this.#now,
    });
  }

  /** The bound address. */
  get host(): string {
    return this.http.host;
  }
  /** The HTTP port; 0 before `start()`. */
  get port(): number {
    return this.http.port;
  }
  /** The discovery port; 0 when not answering discovery. */
  get discoveryPort(): number {
    return this.#tdp?.port ?? 0;
  }
  /** Fault knobs of the HTTP side. */
  get faults(): HttpFaults {
    return this.http.faults;
  }
  set faults(f: HttpFaults) {
    this.http.faults = f;
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
   * @throws Error before `start()`
   */
  reading(index = 0): LoadSample {
    const s = this.#units[index]?.sample();
    if (s === undefined) throw new Error('SimulatedSmartPlug: reading() before start()');
    return s;
  }

  /** The `result` of discovery on UDP 20002 (python-kasa's `DiscoveryResult` fields). */
  discoveryResult(): Json {
    const { profile } = this;
    const schm: Json = {
      encrypt_type: profile.transport.toUpperCase(),
      http_port: this.port,
      is_support_https: false,
    };
    if (profile.transport === 'klap' || profile.loginVersion !== undefined)
      schm['lv'] = profile.transport === 'klap' ? 2 : profile.loginVersion;
    return {
      device_id: hexOf(this.seed, 'smartid', 32),
      device_model: `${profile.model}(${profile.region})`,
      device_type: profile.deviceType,
      factory_default: false,
      ip: this.host,
      is_support_iot_cloud: true,
      mac: this.#mac('-'),
      mgt_encrypt_schm: schm,
      obd_src: 'tplink',
      owner:
        this.#opts.account === undefined || this.#opts.account.username === ''
          ? ''
          : hexOf(this.seed, 'owner', 32),
    };
  }

  /** Forgets every transport session (mid-run expiry). */
  expireSessions(): void {
    this.http.expireSessions();
  }

  /**
   * Boots the plug (energy from the load presets' initial values) and listens.
   * @returns the HTTP port
   */
  async start(): Promise<number> {
    this.#bootedAt = this.#now();
    for (const u of this.#units) u.boot();
    const port = await this.http.start();
    if (this.#opts.discoveryPort !== undefined) {
      this.#tdp = new SimulatedTdpResponder(
        () => this.discoveryResult(),
        this.host,
        this.#opts.discoveryPort,
      );
      try {
        await this.#tdp.start();
      } catch (err) {
        await this.http.stop();
        throw err;
      }
    }
    return port;
  }

  /** Stops the HTTP and UDP sides. Safe to call twice. */
  async stop(): Promise<void> {
    await this.http.stop();
    await this.#tdp?.stop();
    this.#tdp = undefined;
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
          time_diff: this.#offset(),
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
    const { energy, emeterData } = this.profile;
    if (energy === 0) return UNKNOWN_METHOD;
    const s = this.reading(i);
    const c = this.#count(i, s.energy);
    const strip = this.#ids.length > 0;
    if (method === 'get_energy_usage') {
      const usage: Json = {
        today_runtime: Math.floor(this.#units[i]!.onTimeS() / 60),
        month_runtime: Math.floor(this.#units[i]!.onTimeS() / 60),
        today_energy: Math.floor((s.energy - c.dayStartKWh) * 1000),
        month_energy: Math.floor((s.energy - c.monthStartKWh) * 1000),
        local_time: this.#localTime(),
      };
      if (energy > 1) usage['electricity_charge'] = [0, 0, 0];
      // A P304M outlet leaves current_power out of get_energy_usage (python-kasa energy.py).
      if (!strip) usage['current_power'] = Math.round(s.power * 1000);
      return ok(usage);
    }
    if (method === 'get_current_power' && energy > 1)
      return ok({ current_power: Math.round(s.power) });
    if (method === 'get_emeter_data' && energy > 1 && emeterData) {
      return ok({
        voltage_mv: Math.round(s.voltage * 1000),
        current_ma: Math.round(s.current * 1000),
        power_mw: Math.round(s.power * 1000),
        energy_wh: Math.floor((s.energy - c.monthStartKWh) * 1000),
      });
    }
    return UNKNOWN_METHOD;
  }

  #set(i: number, params: Json | undefined): SmartAnswer {
    const on = params?.['device_on'];
    if (on !== undefined && typeof on !== 'boolean') return { error_code: -1008 };
    if (typeof on === 'boolean') this.#units[i]!.setRelay(on);
    return { error_code: 0 };
  }

  /** `get_device_info` of the plug (`unit` 0), of the strip (`undefined`) or of an outlet. */
  #info(unit: number | undefined, child = false): Json {
    const { profile } = this;
    const rssi = this.#opts.rssi ?? -38 - (this.seed % 35);
    const info: Json = {
      device_id: child && unit !== undefined ? this.#ids[unit] : deviceIdOf(this.seed),
      fw_ver: profile.fwVer,
      hw_ver: profile.hwVer,
      type: profile.deviceType,
      model: profile.model,
      mac: child ? this.#mac('') : this.#mac('-'),
      hw_id: hexOf(this.seed, 'hw', 32),
      fw_id: hexOf(this.seed, 'fw', 32),
      oem_id: hexOf(this.seed, 'oem', 32),
      nickname: b64(unit === undefined ? this.#opts.alias : (this.#aliases[unit] ?? '')),
      region: profile.zone,
      lang: 'en_US',
      avatar: child ? 'plug' : 'kettle',
      has_set_location_info: false,
      latitude: 0,
      longitude: 0,
    };
    if (!child) {
      Object.assign(info, {
        ip: this.host,
        time_diff: this.#offset(),
        ssid: b64('kasa-collector-sim'),
        rssi,
        signal_level: rssi > -60 ? 3 : rssi > -70 ? 2 : 1,
        specs: '',
      });
    }
    if (unit !== undefined) {
      const u = this.#units[unit] as SimOutlet;
      Object.assign(info, {
        device_on: u.relay,
        on_time: u.onTimeS(),
        default_states: { type: 'last_states', state: {} },
        overheated: false,
        power_protection_status: 'normal',
        overcurrent_status: 'normal',
      });
      if (child) {
        Object.assign(info, {
          position: unit + 1,
          slot_number: this.#ids.length,
          category: 'plug.powerstrip.sub-plug',
          original_device_id: deviceIdOf(this.seed),
          bind_count: 1,
          status_follow_edge: true,
        });
      }
    }
    return info;
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

  #mac(sep: string): string {
    const tail = (hexOf(this.seed, 'mac', 6).match(/../g) ?? []) as string[];
    return [...this.profile.oui.split(':'), ...tail].join(sep);
  }

  #offset(): number {
    return this.#opts.utcOffsetMin ?? 0;
  }

  #local(): Date {
    return new Date(this.#now() + this.#offset() * 60_000);
  }

  #localTime(): string {
    return this.#local().toISOString().slice(0, 19).replace('T', ' ');
  }

  /** The day and month counters of unit `i`, rolled over at local midnight / month start. */
  #count(i: number, energyKWh: number): Counters {
    const iso = this.#local().toISOString();
    const day = iso.slice(0, 10);
    const month = iso.slice(0, 7);
    let c = this.#counters[i];
    if (c === undefined) {
      c = { day, dayStartKWh: 0, month, monthStartKWh: 0 };
      this.#counters[i] = c;
    }
    if (c.day !== day) {
      c.day = day;
      c.dayStartKWh = energyKWh;
    }
    if (c.month !== month) {
      c.month = month;
      c.monthStartKWh = energyKWh;
    }
    return c;
  }
}

function ok(result: unknown): SmartAnswer {
  return { error_code: 0, result };
}

function list(components: Record<string, number>): { id: string; ver_code: number }[] {
  return Object.entries(components).map(([id, ver_code]) => ({ id, ver_code }));
}
