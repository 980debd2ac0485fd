/**
 * A simulated Kasa plug: a TCP server on a loopback address speaking the real protocol
 * (docs/protocol.md#tcp-framing: 4-byte big-endian length + XOR autokey ciphertext), answering
 * from a device profile (`profiles.ts`) and a load model (`load.ts`), with fault knobs
 * (`faults.ts`) that can be turned at run time. Each connection is served by `connection.ts`:
 * keep-alive, requests cut by their length prefix, never closed by the plug unless a fault says
 * so.
 *
 * A strip profile (`hs300`, `kp303`, or a custom one with `outlets`) makes it a power strip: one
 * relay, on-time and load model per outlet (`outlet.ts`), addressed by
 * `"context":{"child_ids":[id]}` in `answer.ts` (docs/protocol.md#power-strips).
 */
import net from 'node:net';
import { systemClock } from '../clock.js';
import { isLoopbackAddress } from '../kasa/transport/udp.js';
import { answer, type DeviceView } from './answer.js';
import { serveConnection } from './connection.js';
import type { SimFaults } from './faults.js';
import { LOAD_PRESETS, type LoadConfig, type LoadPreset, type LoadSample } from './load.js';
import { SimOutlet } from './outlet.js';
import { seedOf } from './identity.js';
import type { OutletState } from './iot-sysinfo.js';
import { PROFILES, childIdsOf, type ProfileName, type SimProfile } from './profiles.js';

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

/** How to build a {@link SimulatedPlug}. */
export interface SimulatedPlugOptions {
  /** A built-in profile name or a custom profile. */
  profile: ProfileName | SimProfile;
  alias: string;
  /** Seeds the load noise and the identity (MAC, deviceId); default derived from `alias`. */
  seed?: number;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to bind: `127.0.0.1` (default), another of `127.0.0.0/8`, or `::1`; anything else is refused. */
  host?: string;
  /** Appliance shape behind the emeter; default `desk`. On a strip: each outlet's default. */
  load?: LoadPreset | Partial<LoadConfig>;
  /** Relay state at boot; default on. On a strip: each outlet's default. */
  relay?: boolean;
  /** WiFi signal, dBm; default derived from the seed (−38 … −72). */
  rssi?: number;
  /** Time source, ms since the epoch; default the system clock's; inject a manual clock in tests. */
  now?: () => number;
  /**
   * A strip's outlets, exactly as many as the profile's `outlets`; default `Outlet 1` …
   * `Outlet n`, loads as {@link OutletOptions.load}, all on. Outlet i's load noise is seeded
   * with `seed + i`. Refused on a single-plug profile.
   */
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

/** A plug on a loopback TCP port. The constructor only assigns; `start()` binds. */
export class SimulatedPlug {
  /** The model this plug answers as. */
  readonly profile: SimProfile;
  /** Seed of the load noise and the identity (MAC, deviceId). */
  readonly seed: number;
  /** Every request received, parsed (or the raw text when it was not JSON), oldest first. */
  readonly received: unknown[] = [];
  readonly #opts: SimulatedPlugOptions;
  readonly #now: () => number;
  readonly #sockets = new Set<net.Socket>();
  #faults: SimFaults = {};
  #server: net.Server | undefined;
  #port = 0;
  #started = false;
  /** One unit per outlet of a strip; a single plug's one relay and load otherwise. */
  readonly #units: SimOutlet[];
  /** A strip's child ids, in outlet order; empty for a single plug. */
  readonly #ids: string[];
  readonly #aliases: string[];

  /**
   * @param options see {@link SimulatedPlugOptions}
   * @throws Error when `outlets` is given for a single-plug profile or does not match the
   *   profile's outlet count, or a custom profile's `childIds()` has the wrong length
   */
  constructor(options: SimulatedPlugOptions) {
    this.#opts = options;
    this.profile =
      typeof options.profile === 'string' ? PROFILES[options.profile] : options.profile;
    this.seed = options.seed ?? seedOf(options.alias);
    this.#now = options.now ?? (() => systemClock.now());
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

  /** The bound port; 0 before the first `start()`. */
  get port(): number {
    return this.#port;
  }
  /** The bound address. */
  get host(): string {
    return this.#opts.host ?? '127.0.0.1';
  }
  /** Number of requests answered or swallowed so far. */
  get requests(): number {
    return this.received.length;
  }
  /** Open client connections right now. */
  get connections(): number {
    return this.#sockets.size;
  }
  /** The fault knobs in force. */
  get faults(): Readonly<SimFaults> {
    return { ...this.#faults };
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
    const rssi = this.#opts.rssi ?? -38 - (this.seed % 35);
    const onTimeS = Math.max(...this.#units.map((u) => u.onTimeS()));
    const base = { alias: this.#opts.alias, relay: this.relay, onTimeS, rssi, seed: this.seed };
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

  /**
   * Sets one fault knob (see {@link SimFaults}); `undefined` clears it.
   * @returns resolves once the knob took effect (for `refuse`: once connects are refused, or
   *   once the plug listens again on the same port)
   */
  setFault<K extends keyof SimFaults>(name: K, value: SimFaults[K] | undefined): Promise<void> {
    return this.setFaults({ [name]: value } as Partial<SimFaults>);
  }

  /**
   * Sets several knobs at once (an `undefined` value clears that knob). Content and framing
   * knobs apply to requests that arrive afterwards.
   * @throws Error when clearing `refuse` cannot listen again (the port was taken meanwhile)
   */
  async setFaults(patch: Partial<SimFaults>): Promise<void> {
    const next: SimFaults = { ...this.#faults, ...patch };
    for (const k of Object.keys(next) as (keyof SimFaults)[])
      if (next[k] === undefined) delete next[k];
    this.#faults = next;
    if (!this.#started) return;
    if (next.refuse && this.#server !== undefined) await this.#close();
    else if (!next.refuse && this.#server === undefined) await this.#listen(this.#port);
  }

  /** Clears every knob (listening again if `refuse` was on). */
  clearFaults(): Promise<void> {
    const cleared: Partial<SimFaults> = {};
    for (const k of Object.keys(this.#faults) as (keyof SimFaults)[]) cleared[k] = undefined;
    return this.setFaults(cleared);
  }

  /**
   * Boots the plug (energy starts at 0 kWh) and listens. After `stop()`, starting again is a
   * reboot on the same port (energy back to 0, as after a power loss).
   * @returns the TCP port
   * @throws Error when `host` is not a loopback address, or the bind fails (EADDRINUSE …)
   */
  async start(): Promise<number> {
    if (this.#started) return this.#port;
    if (!isLoopbackAddress(this.host))
      throw new Error(`SimulatedPlug binds loopback only, not ${this.host}`);
    for (const unit of this.#units) unit.boot();
    await this.#listen(this.#port || (this.#opts.port ?? 0));
    this.#started = true;
    if (this.#faults.refuse) await this.#close();
    return this.#port;
  }

  /** Stops listening and destroys open connections. Safe to call twice. */
  async stop(): Promise<void> {
    this.#started = false;
    await this.#close();
  }

  #listen(port: number): Promise<void> {
    const server = net.createServer((socket) => this.#onConnection(socket));
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port }, () => {
        server.off('error', reject);
        this.#server = server;
        this.#port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  #close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #onConnection(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    const view = this.deviceView();
    serveConnection(socket, {
      record: (request) => this.received.push(request),
      faults: () => ({ ...this.#faults }),
      answer: (request, faults) => answer(request, view, faults),
    });
  }
}
