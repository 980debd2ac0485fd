/**
 * Which configured device a physical plug belongs to, by what the plug says it is: its MAC and
 * its deviceId. Two `devices[]` entries can reach one plug (its IP and its host name, or a DHCP
 * lease that moved), and the config cannot always tell (`check-config` compares addresses only).
 * Merged silently, they would publish one plug twice, share one lifetime total and send it to
 * emonhub on two nodes. So the first device a plug answers as keeps it, and the collector
 * refuses the plug's answers to any other (`POLL_DUPLICATE`), for as long as the first one
 * still reports that identity.
 */
import { macHex, type PlugIdentity } from '../reading.js';

/** What a claim needs of a device: the identity of its last good poll. */
export interface Claimant {
  identity: PlugIdentity;
}

/**
 * The keys a plug is known by: `mac:<hex>` (see `macHex`: none for an all-zero MAC) and
 * `id:<deviceId>`, lower case.
 * @param identity the plug's identity
 */
export function identityKeys(identity: PlugIdentity): string[] {
  const keys: string[] = [];
  const mac = macHex(identity.mac);
  if (mac !== '') keys.push(`mac:${mac}`);
  const id = (identity.deviceId ?? '').trim().toLowerCase();
  if (id !== '' && !/^0+$/.test(id)) keys.push(`id:${id}`);
  return keys;
}

/**
 * The plugs the devices have answered as. Bounded by the devices: each holds the keys of its
 * latest identity only (a plug that reports a new MAC at every poll does not grow it).
 */
export class PlugClaims<D extends Claimant> {
  readonly #owners = new Map<string, D>();
  /** Each device's keys, and the MAC and deviceId they were made from. */
  readonly #keysOf = new Map<D, { keys: string[]; mac: unknown; deviceId: unknown }>();

  /**
   * Claims the plug `identity` describes for `device`, unless another device holds it.
   * @param device the device that just polled the plug
   * @param identity the identity of that poll
   * @returns the device that holds the plug already, with the key it matched (`mac:…` or
   *   `id:…`); undefined when `device` holds it now
   */
  claim(device: D, identity: PlugIdentity): { owner: D; key: string } | undefined {
    // The usual case, at every poll: the device answers as the plug it already holds.
    const held = this.#keysOf.get(device);
    if (
      held !== undefined &&
      held.mac === identity.mac &&
      held.deviceId === identity.deviceId &&
      this.#holdsAll(device, held.keys)
    ) {
      return undefined;
    }
    const keys = identityKeys(identity);
    for (const key of keys) {
      const owner = this.#owners.get(key);
      // The owner keeps the plug while it still reports that identity (it may have been
      // swapped for another plug since).
      if (owner !== undefined && owner !== device && identityKeys(owner.identity).includes(key))
        return { owner, key };
    }
    this.release(device);
    for (const key of keys) this.#owners.set(key, device);
    this.#keysOf.set(device, { keys, mac: identity.mac, deviceId: identity.deviceId });
    return undefined;
  }

  /** Whether `device` owns every one of `keys` (a loop: this runs at every poll). */
  #holdsAll(device: D, keys: readonly string[]): boolean {
    for (let i = 0; i < keys.length; i++) {
      if (this.#owners.get(keys[i] as string) !== device) return false;
    }
    return true;
  }

  /** Forgets every claim of `device` (it left the config, or answers as another plug now). */
  release(device: D): void {
    for (const key of this.#keysOf.get(device)?.keys ?? []) {
      if (this.#owners.get(key) === device) this.#owners.delete(key);
    }
    this.#keysOf.delete(device);
  }
}
