/**
 * A simulated Kasa plug: a TCP server on a loopback address speaking the real protocol
 * (REFERENCE.md §1: 4-byte big-endian length + XOR autokey ciphertext), answering from a device
 * profile (`profiles.ts`) and a load model (`load.ts`), with fault knobs (`faults.ts`) that can
 * be turned at run time. Each connection is served by `connection.ts`: keep-alive, requests cut
 * by their length prefix, never closed by the plug unless a fault says so.
 */
import net from 'node:net';
import { answer, type DeviceView } from './answer.js';
import { serveConnection } from './connection.js';
import type { SimFaults } from './faults.js';
import {
  LOAD_PRESETS,
  LoadModel,
  type LoadConfig,
  type LoadPreset,
  type LoadSample,
} from './load.js';
import { PROFILES, type ProfileName, type SimProfile } from './profiles.js';

const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** How to build a {@link SimulatedPlug}. */
export interface SimulatedPlugOptions {
  /** A built-in profile name or a custom profile. */
  profile: ProfileName | SimProfile;
  alias: string;
  /** Seeds the load noise and the identity (MAC, deviceId); default derived from `alias`. */
  seed?: number;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to bind, `127.0.0.1` (default) or `::1`; anything else is refused. */
  host?: string;
  /** Appliance shape behind the emeter; default `desk`. */
  load?: LoadPreset | Partial<LoadConfig>;
  /** Relay state at boot; default on. */
  relay?: boolean;
  /** WiFi signal, dBm; default derived from the seed (−38 … −72). */
  rssi?: number;
  /** Time source, ms since the epoch; inject a manual clock in tests. */
  now?: () => number;
}

function seedOf(alias: string): number {
  let h = 2166136261;
  for (const ch of alias) h = Math.imul(h ^ (ch.codePointAt(0) as number), 16777619) >>> 0;
  return h;
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
  #load: LoadModel | undefined;
  #relay: boolean;
  #onSince = 0;

  /** @param options see {@link SimulatedPlugOptions} */
  constructor(options: SimulatedPlugOptions) {
    this.#opts = options;
    this.profile =
      typeof options.profile === 'string' ? PROFILES[options.profile] : options.profile;
    this.seed = options.seed ?? seedOf(options.alias);
    this.#now = options.now ?? Date.now;
    this.#relay = options.relay ?? true;
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
  /** Relay state. */
  get relay(): boolean {
    return this.#relay;
  }

  /** Switches the relay as `system.set_relay_state` would. */
  setRelay(on: boolean): void {
    if (on && !this.#relay) this.#onSince = this.#now();
    this.#relay = on;
    this.#load?.setRelay(on);
  }

  /** What the emeter measures now: V, A, W, kWh since `start()`. @throws Error before `start()` */
  reading(): LoadSample {
    if (this.#load === undefined) throw new Error('SimulatedPlug: reading() before start()');
    return this.#load.sample();
  }

  /** The `system.get_sysinfo` object the plug would send now. */
  sysinfo(): Record<string, unknown> {
    const onTimeS = this.#relay ? Math.max(0, Math.floor((this.#now() - this.#onSince) / 1000)) : 0;
    const rssi = this.#opts.rssi ?? -38 - (this.seed % 35);
    return this.profile.sysinfo({
      alias: this.#opts.alias,
      relay: this.#relay,
      onTimeS,
      rssi,
      seed: this.seed,
    });
  }

  /** The `emeter.get_realtime` object the plug would send now; `undefined` without an emeter. */
  realtime(): Record<string, unknown> | undefined {
    return this.profile.emeter === 'none' ? undefined : this.profile.realtime(this.reading());
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
    if (!LOOPBACK.has(this.host))
      throw new Error(`SimulatedPlug binds loopback only, not ${this.host}`);
    const load = this.#opts.load ?? 'desk';
    const shape = typeof load === 'string' ? LOAD_PRESETS[load] : load;
    this.#load = new LoadModel({ seed: this.seed, ...shape }, this.#now);
    this.#load.setRelay(this.#relay);
    this.#onSince = this.#now();
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
    const view: DeviceView = {
      hasEmeter: this.profile.emeter !== 'none',
      sysinfo: () => this.sysinfo(),
      realtime: () => this.realtime() ?? {},
      setRelay: (on) => this.setRelay(on),
    };
    serveConnection(socket, {
      record: (request) => this.received.push(request),
      faults: () => ({ ...this.#faults }),
      answer: (request, faults) => answer(request, view, faults),
    });
  }
}
