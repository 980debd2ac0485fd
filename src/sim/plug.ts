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
import { seedOf } from './identity.js';
import { IotModel, type OutletOptions } from './iot-model.js';
import type { LoadConfig, LoadPreset, LoadSample } from './load.js';
import { PROFILES, type ProfileName, type SimProfile } from './profiles.js';

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

/** A plug on a loopback TCP port. The constructor only assigns; `start()` binds. */
export class SimulatedPlug {
  /** The model this plug answers as. */
  readonly profile: SimProfile;
  /** Seed of the load noise and the identity (MAC, deviceId). */
  readonly seed: number;
  /** Every request received, parsed (or the raw text when it was not JSON), oldest first. */
  readonly received: unknown[] = [];
  /** The device behind the TCP side: relays, loads, sysinfo and emeter. */
  readonly device: IotModel;
  readonly #opts: SimulatedPlugOptions;
  readonly #sockets = new Set<net.Socket>();
  #faults: SimFaults = {};
  #server: net.Server | undefined;
  #port = 0;
  #started = false;

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
    this.device = new IotModel({
      ...options,
      profile: this.profile,
      seed: this.seed,
      now: options.now ?? (() => systemClock.now()),
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
    return this.device.relay;
  }
  /** See {@link IotModel.setRelay}. */
  setRelay(on: boolean): void {
    this.device.setRelay(on);
  }
  /** See {@link IotModel.reading}. */
  reading(): LoadSample {
    return this.device.reading();
  }
  /** See {@link IotModel.sysinfo}. */
  sysinfo(): Record<string, unknown> {
    return this.device.sysinfo();
  }
  /** See {@link IotModel.realtime}. */
  realtime(): Record<string, unknown> | undefined {
    return this.device.realtime();
  }
  /** See {@link IotModel.outletIds}. */
  outletIds(): string[] {
    return this.device.outletIds();
  }
  /** See {@link IotModel.outletRelay}. */
  outletRelay(index: number): boolean {
    return this.device.outletRelay(index);
  }
  /** See {@link IotModel.setOutletRelay}. */
  setOutletRelay(index: number, on: boolean): void {
    this.device.setOutletRelay(index, on);
  }
  /** See {@link IotModel.outletReading}. */
  outletReading(index: number): LoadSample {
    return this.device.outletReading(index);
  }
  /** See {@link IotModel.outletRealtime}. */
  outletRealtime(index: number): Record<string, unknown> | undefined {
    return this.device.outletRealtime(index);
  }
  /** See {@link IotModel.deviceView}. */
  deviceView(): DeviceView {
    return this.device.deviceView();
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
    this.device.boot();
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
