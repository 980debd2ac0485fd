import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { DeviceConfig } from '../config/types.js';
import { AutoDevice } from '../kasa/connect.js';
import type { DeviceClient, DeviceSample, OutletSample } from '../kasa/sample.js';
import type { Credentials } from '../kasa/transport/credentials.js';
import type { DeviceInfo, OutletInfo, PlugIdentity, RelayState } from '../reading.js';
import { AvailabilityTracker } from './availability.js';
import { addressNames, derivedNames, firstFree, outletName } from './naming.js';
import type { Pollable } from './poller.js';

/** What the default client needs beyond the device's config entry. */
export interface ClientOptions {
  /** The TP-Link account for KLAP and AES plugs (`config/kasa-account.ts`). */
  account?: Credentials;
  /** Told once which transport a plug was found to speak. */
  log?: Logger;
}

/**
 * Everything the collector keeps about one configured device between ticks: its protocol client
 * (an {@link AutoDevice}: IOT or SMART, over XOR, KLAP or AES, found on first contact), its availability, and the name its topics use. It is what the poller
 * polls: {@link poll} runs the client's poll behind any relay command already queued.
 *
 * A configured `name` is the name from the start. Otherwise the name is fixed at the first
 * successful poll (alias, else MAC, …: `derivedNames` in `naming.ts`, the first no other device
 * uses) and then kept for the life of the process, so a renamed alias does not move a device's
 * topics mid-run. Until then, a name from the address stands in (only an `offline` can be
 * published under it), one that no other device uses either.
 */
export class PolledDevice implements Pollable {
  readonly client: DeviceClient;
  readonly availability: AvailabilityTracker;
  identity: PlugIdentity = {};
  /** The relay as last read, for `TOGGLE`; undefined before the first good poll. */
  relay: RelayState | undefined;
  /** The last good poll's sample (a strip outlet's relay as last read is in it). */
  lastSample: DeviceSample | undefined;
  #name: string | undefined;
  /** The name published before the first answer (see {@link standIn}). */
  #standIn: string;
  #tail: Promise<unknown> = Promise.resolve();
  /** A strip's outlets by child id, named once for the life of the process. */
  readonly #outlets = new Map<string, OutletInfo>();
  /** The outlets of the last good poll, in position order (empty for a plug). */
  #current: OutletInfo[] = [];
  /**
   * {@link info} as last built, until the name changes: one object for the device's readings,
   * so sinks that keep something per device object (the MQTT sink's topics) find it again.
   */
  #info: Readonly<DeviceInfo> | undefined;
  /** {@link outletInfo} per outlet, built from {@link #info}; emptied with it. */
  #outletInfos = new WeakMap<OutletInfo, Readonly<DeviceInfo>>();

  /**
   * @param config the device's config entry
   * @param offlineAfter failed polls in a row before offline
   * @param client injectable for tests; default: an {@link AutoDevice} for the entry's address
   *   and `transport`
   * @param clock the client's deadline clock (when the default client is built)
   * @param options the account and logger of the default client
   */
  constructor(
    readonly config: DeviceConfig,
    offlineAfter: number,
    client?: DeviceClient,
    clock: Clock = systemClock,
    options: ClientOptions = {},
  ) {
    this.client =
      client ??
      new AutoDevice({
        host: config.host,
        port: config.port,
        ...(config.transport === undefined ? {} : { transport: config.transport }),
        ...(options.account === undefined ? {} : { account: options.account }),
        ...(options.log === undefined ? {} : { log: options.log }),
        clock,
      });
    this.availability = new AvailabilityTracker(offlineAfter);
    this.#name = config.name;
    this.#standIn = firstFree(addressNames(config.host, config.port), new Set());
  }

  /** `host:port`, for messages. */
  get target(): string {
    return this.client.target;
  }

  /**
   * One poll of the device, queued behind any relay command (see {@link exclusive}).
   * @param timeoutMs deadline, ms
   * @throws PlugError with a stable code
   */
  poll(timeoutMs: number): Promise<DeviceSample> {
    return this.exclusive(() => this.client.poll(timeoutMs));
  }

  /** Closes the client's transport (test doubles may have no `close`). Idempotent. */
  close(): void {
    (this.client as Partial<DeviceClient>).close?.();
  }

  /**
   * Runs `fn` after every request already queued for this plug: a relay command never overlaps
   * a poll (one connection carries one request at a time). Its failure does not stop the queue.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    // `then(fn, fn)` runs the next one whether this one fulfils or rejects; the caller handles
    // its own rejection, so the tail needs no handler of its own.
    const run = this.#tail.then(fn, fn);
    this.#tail = run;
    return run;
  }

  /** Whether the name is final (configured, or learned from a reply). */
  get named(): boolean {
    return this.#name !== undefined;
  }

  /**
   * Chooses the name published before the first answer: the host slugified, else `host_port`,
   * else numbered, the first that is not in `taken`. No effect once named.
   * @param taken names other devices use
   */
  standIn(taken: ReadonlySet<string>): void {
    if (this.#name !== undefined) return;
    const standIn = firstFree(addressNames(this.config.host, this.config.port), taken);
    if (standIn !== this.#standIn) this.#renamed();
    this.#standIn = standIn;
  }

  /**
   * Fixes the name from the first identity seen, unless one is configured: the first of
   * `derivedNames` that is not in `taken` (so two plugs both called "Plug" stay apart, and no
   * plug takes a name the config gives another).
   * @param identity the plug's identity from its first good poll
   * @param taken names other devices use: configured, settled and standing in
   * @returns the name it would have had, when another device has it; else undefined
   */
  settleName(identity: PlugIdentity, taken: ReadonlySet<string>): string | undefined {
    if (this.#name !== undefined) return undefined;
    const candidates = derivedNames(identity, this.config.host, this.config.port);
    this.#name = firstFree(candidates, taken);
    if (this.#name !== this.#standIn) this.#renamed();
    return this.#name === candidates[0] ? undefined : candidates[0];
  }

  /**
   * Names the outlets of a strip's sample (configured `outlets[i].name`, else the alias
   * slugified, else `outlet_<n>`; fixed the first time a child id is seen, so a renamed alias
   * does not move its topics) and remembers them as the strip's current outlets.
   * @param outlets the sample's outlets
   * @returns `[outlet info, true when first seen]` per outlet, in the sample's order
   */
  settleOutlets(outlets: readonly OutletSample[]): [OutletInfo, boolean][] {
    const taken = new Set<string>([...this.#outlets.values()].map((o) => o.name));
    for (const c of this.config.outlets ?? []) if (c.name !== undefined) taken.add(c.name);
    const out: [OutletInfo, boolean][] = outlets.map((o) => {
      const known = this.#outlets.get(o.id);
      if (known !== undefined && known.position === o.position) return [known, false];
      const configured = this.config.outlets?.[o.position - 1]?.name;
      if (configured !== undefined) taken.delete(configured);
      const name = outletName(configured, o.alias, o.position, taken);
      taken.add(name);
      const info: OutletInfo = { name, position: o.position, id: o.id };
      this.#outlets.set(o.id, info);
      return [info, true];
    });
    this.#current = out.map(([info]) => info);
    return out;
  }

  /** A strip's outlets as of the last good poll (empty for a plug or before the first poll). */
  get outlets(): readonly OutletInfo[] {
    return this.#current;
  }

  /**
   * How sinks address one outlet: the strip's name and address, the outlet's own emonhub node
   * (`outlets[n-1].node`, never the strip's) and the strip's `control`. The same frozen object
   * for the same outlet until the strip's name changes.
   * @param outlet an outlet from {@link settleOutlets}
   */
  outletInfo(outlet: OutletInfo): Readonly<DeviceInfo> {
    const known = this.#outletInfos.get(outlet);
    if (known !== undefined) return known;
    const { node: _stripNode, ...info } = this.info;
    const node = this.config.outlets?.[outlet.position - 1]?.node;
    const built = Object.freeze({ ...info, ...(node === undefined ? {} : { node }), outlet });
    this.#outletInfos.set(outlet, built);
    return built;
  }

  /**
   * How sinks address this device right now: the same frozen object until its name changes
   * (a sink must not modify it).
   */
  get info(): Readonly<DeviceInfo> {
    if (this.#info !== undefined) return this.#info;
    const { host, port, node } = this.config;
    const info: DeviceInfo = { name: this.#name ?? this.#standIn, host, port };
    if (node !== undefined) info.node = node;
    if (this.config.control === true) info.control = true;
    this.#info = Object.freeze(info);
    return this.#info;
  }

  /** The name changed: the infos are built again at their next use. */
  #renamed(): void {
    this.#info = undefined;
    this.#outletInfos = new WeakMap();
  }
}
