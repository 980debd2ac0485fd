/**
 * A simulated SMART plug (Tapo P110, KP125M, a P304M strip …) on loopback: the device
 * (`smart-model.ts`, from a profile in `smart-profiles.ts`) served over KLAP or AES
 * (`http-plug.ts`), optionally answering discovery on UDP (`tdp-responder.ts`).
 */
import { systemClock } from '../clock.js';
import type { Json } from '../kasa/protocol/json.js';
import type { Credentials } from '../kasa/transport/credentials.js';
import { SimulatedHttpPlug, type HttpFaults } from './http-plug.js';
import { seedOf } from './identity.js';
import type { LoadConfig, LoadPreset, LoadSample } from './load.js';
import { answerSmart, type SmartView } from './smart-answer.js';
import { SmartModel, type SmartOutletOptions } from './smart-model.js';
import { SMART_PROFILES, type SmartProfile, type SmartProfileName } from './smart-profiles.js';
import { SimulatedTdpResponder } from './tdp-responder.js';

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

/** A SMART plug on loopback HTTP. The constructor only assigns; `start()` binds. */
export class SimulatedSmartPlug {
  readonly profile: SmartProfile;
  readonly seed: number;
  readonly http: SimulatedHttpPlug;
  /** The device behind the HTTP side. */
  readonly device: SmartModel;
  readonly #opts: SimulatedSmartPlugOptions;
  #tdp: SimulatedTdpResponder | undefined;

  /**
   * @param options profile, alias, account, load, clock, address
   * @throws Error when `outlets` does not match the profile's outlet count
   */
  constructor(options: SimulatedSmartPlugOptions) {
    this.#opts = options;
    this.profile =
      typeof options.profile === 'string' ? SMART_PROFILES[options.profile] : options.profile;
    this.seed = options.seed ?? seedOf(options.alias);
    const now = options.now ?? systemClock.now;
    this.device = new SmartModel({
      profile: this.profile,
      seed: this.seed,
      alias: options.alias,
      load: options.load,
      outlets: options.outlets,
      relay: options.relay,
      rssi: options.rssi,
      utcOffsetMin: options.utcOffsetMin,
      owned: options.account !== undefined && options.account.username !== '',
      now,
      host: () => this.host,
    });
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
      now,
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
    return this.device.outletIds();
  }
  /** Relay of the plug (a strip: any outlet on). */
  get relay(): boolean {
    return this.device.relay;
  }
  /** Relay of one outlet (0-based). */
  outletRelay(index: number): boolean {
    return this.device.outletRelay(index);
  }

  /**
   * What the meter of unit `index` (0 for a plug) measures now: V, A, W, kWh since boot.
   * @throws Error before `start()`
   */
  reading(index = 0): LoadSample {
    return this.device.reading(index);
  }

  /** The `result` of discovery on UDP 20002 (python-kasa's `DiscoveryResult` fields). */
  discoveryResult(): Json {
    return this.device.discoveryResult(this.port);
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
    this.device.boot();
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
    return this.device.view();
  }
}
