import { AvailabilityTracker } from './availability.js';
import type { DeviceConfig } from './config.js';
import { deviceName } from './naming.js';
import { Plug } from './plug/plug.js';
import type { DeviceInfo, PlugIdentity } from './plug/reading.js';
import type { Pollable } from './poller.js';

/**
 * Everything the collector keeps about one configured device between ticks: its plug session,
 * its availability, and the name its topics use.
 *
 * The name is fixed at the first successful poll (configured `name`, else alias, else MAC) and
 * then kept for the life of the process, so a renamed alias does not move a device's topics
 * mid-run. Until then, the address stands in (only an `offline` can be published before it).
 */
export class DeviceState {
  readonly plug: Plug;
  readonly availability: AvailabilityTracker;
  identity: PlugIdentity = {};
  /** The relay as last read, for `TOGGLE`; undefined before the first good poll. */
  relay: 'ON' | 'OFF' | undefined;
  /** What the poller polls: the plug, queued behind any relay command (see {@link exclusive}). */
  readonly pollable: Pollable;
  #name: string | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * @param config the device's config entry
   * @param offlineAfter failed polls in a row before offline
   * @param plug injectable for tests; defaults to a real TCP {@link Plug}
   */
  constructor(
    readonly config: DeviceConfig,
    offlineAfter: number,
    plug?: Plug,
  ) {
    this.plug = plug ?? new Plug({ host: config.host, port: config.port });
    this.availability = new AvailabilityTracker(offlineAfter);
    const plugRef = this.plug;
    this.pollable = {
      target: plugRef.target,
      poll: (ms) => this.exclusive(() => plugRef.poll(ms)),
    };
  }

  /**
   * Runs `fn` after every request already queued for this plug: a relay command never overlaps
   * a poll (one connection carries one request at a time). Its failure does not stop the queue.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Whether the name is final (configured, or learned from a reply). */
  get named(): boolean {
    return this.#name !== undefined;
  }

  /**
   * Fixes the name from the first identity seen. `taken` lists names other devices already use;
   * on a clash the MAC (or address) is used instead, so two plugs both called "Plug" stay apart.
   */
  settleName(identity: PlugIdentity, taken: ReadonlySet<string>): void {
    if (this.#name !== undefined) return;
    const { name, host } = this.config;
    let chosen = deviceName(name, identity.alias, identity.mac, host);
    if (!name && taken.has(chosen)) chosen = deviceName(undefined, undefined, identity.mac, host);
    if (!name && taken.has(chosen))
      chosen = deviceName(undefined, undefined, undefined, `${host}_${this.config.port}`);
    this.#name = chosen;
  }

  /** How sinks address this device right now. */
  get info(): DeviceInfo {
    const { host, port, node, name } = this.config;
    const info: DeviceInfo = {
      name: this.#name ?? name ?? deviceName(undefined, undefined, undefined, host),
      host,
      port,
    };
    if (node !== undefined) info.node = node;
    if (this.config.control === true) info.control = true;
    return info;
  }
}
