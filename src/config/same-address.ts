/**
 * `check-config`'s look at what the devices' host names resolve to: two entries that reach the
 * same plug (`192.168.1.50` and `plug.lan`, or two names of one address) on the same port are
 * the same plug listed twice, which the collector would publish twice, with two lifetime totals
 * and two emonhub nodes.
 *
 * Names are resolved now, as the system resolver answers (`dns.lookup`, which reads
 * `/etc/hosts` and mDNS where configured, as the collector's connections do), each within
 * {@link LOOKUP_TIMEOUT_MS}. A name that does not resolve now (no DNS at boot, the plug off its
 * DHCP lease) is not compared, and a note says so: that is not an error, since it may resolve
 * later. The collector still refuses a second entry for one plug at run time, by its MAC or
 * deviceId (`POLL_DUPLICATE`). Addresses written as addresses are compared without resolving.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import type { Issue } from './checks.js';
import { hostPort, normalizeAddress } from './address.js';
import type { DeviceConfig } from './types.js';

/** How long one name may take to resolve, ms. */
export const LOOKUP_TIMEOUT_MS = 2000;

/** What {@link checkSameAddress} may be given instead of the system's resolver and clock. */
export interface SameAddressOptions {
  /** Every address of a name; default `dns.lookup(name, {all: true})`. */
  lookup?: (name: string) => Promise<string[]>;
  /** Times the lookups out; default the system clock. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Per name, ms; default {@link LOOKUP_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** What {@link checkSameAddress} found. */
export interface SameAddressResult {
  /** One per entry that reaches an earlier entry's address and port; `path` is `[i].host`. */
  problems: Issue[];
  /** One per name not resolved now, saying it was not compared. */
  notes: string[];
}

async function systemLookup(name: string): Promise<string[]> {
  return (await dnsLookup(name, { all: true })).map((a) => a.address);
}

/** `lookup(name)` within `timeoutMs`, or the error that stopped it. */
function resolve(
  name: string,
  opts: Required<SameAddressOptions>,
): Promise<{ addresses: string[] } | { error: string }> {
  return new Promise((done) => {
    const timer = opts.clock.setTimeout(
      () => done({ error: `no answer within ${opts.timeoutMs} ms` }),
      opts.timeoutMs,
    );
    opts.lookup(name).then(
      (addresses) => {
        opts.clock.clearTimeout(timer);
        done({ addresses });
      },
      (err: unknown) => {
        opts.clock.clearTimeout(timer);
        const code = (err as { code?: unknown }).code;
        done({ error: typeof code === 'string' ? code : String(err) });
      },
    );
  });
}

/**
 * Resolves the devices' host names and reports entries that reach the address and port of an
 * earlier entry.
 * @param devices the loaded `devices` (each already unique by its written `host:port`)
 * @param options resolver, clock and timeout; the system's by default
 * @returns the problems (errors for `check-config`) and the notes (names not resolved)
 */
export async function checkSameAddress(
  devices: readonly DeviceConfig[],
  options: SameAddressOptions = {},
): Promise<SameAddressResult> {
  const opts: Required<SameAddressOptions> = {
    lookup: options.lookup ?? systemLookup,
    clock: options.clock ?? systemClock,
    timeoutMs: options.timeoutMs ?? LOOKUP_TIMEOUT_MS,
  };
  const names = [...new Set(devices.map((d) => d.host).filter((h) => isIP(h) === 0))];
  const resolved = new Map(
    await Promise.all(names.map(async (n) => [n, await resolve(n, opts)] as const)),
  );
  const result: SameAddressResult = { problems: [], notes: [] };
  const firstAt = new Map<string, number>();
  devices.forEach((d, i) => {
    const found = resolved.get(d.host);
    if (found !== undefined && 'error' in found) {
      result.notes.push(
        `devices[${i}].host: "${d.host}" did not resolve now (${found.error}): not compared with the other devices' addresses; at run time the collector still refuses a second entry for one plug (POLL_DUPLICATE)`,
      );
      return;
    }
    const addresses = found === undefined ? [d.host] : found.addresses;
    const keys = [...new Set(addresses.map((a) => hostPort(normalizeAddress(a), d.port)))];
    const clash = keys.map((k) => [k, firstAt.get(k)] as const).find(([, at]) => at !== undefined);
    if (clash !== undefined) {
      const [key, at] = clash;
      const other = devices[at as number] as DeviceConfig;
      const via = found === undefined ? '' : ` ("${d.host}" resolves to it)`;
      result.problems.push({
        path: `[${i}].host`,
        message: `${key}${via} is the address of devices[${at}] ("${other.host}") too: the same plug listed twice; list each plug once`,
      });
      return;
    }
    for (const k of keys) firstAt.set(k, i);
  });
  return result;
}
