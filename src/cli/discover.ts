/**
 * `kasa-collector discover`: finds plugs the way python-kasa (`kasa/discover.py`) and
 * tplink-smarthome-api do: the encrypted sysinfo request, no length prefix, to UDP 9999 of the
 * broadcast address, sent three times 500 ms apart because UDP may lose any one of them; every
 * plug answers from its own address. Transport in `kasa/transport/udp.ts`, reply parsing in
 * `kasa/discovery.ts`, rendering in `discover-format.ts`.
 */
import { systemClock, type Clock } from '../clock.js';
import {
  parseDiscoveryReply,
  parseHttpDiscovery,
  type DiscoveredPlug,
  type HttpDiscovery,
} from '../kasa/discovery.js';
import { SYSINFO_REQUEST } from '../kasa/protocol/iot.js';
import { decodeTdp, TDP_PORT } from '../kasa/transport/tdp.js';
import { tdpProbe } from '../kasa/transport/tdp-lookup.js';
import { encodeDatagram, probe, type ProbeSendError } from '../kasa/transport/udp.js';
import {
  byHost,
  formatConfig,
  formatJson,
  formatNewerTable,
  formatTable,
} from './discover-format.js';

/** Where discovery asks when no `--target` is given: the limited broadcast. */
export const DEFAULT_DISCOVERY_TARGET = '255.255.255.255';

/** The request every Smart Home plug answers over UDP, encrypted once (no length prefix). */
export const DISCOVERY_DATAGRAM = encodeDatagram(SYSINFO_REQUEST);

/** Options of {@link discoverCommand}. */
export interface DiscoverOptions {
  /** Addresses to ask (broadcast or unicast IPs); default [{@link DEFAULT_DISCOVERY_TARGET}]. */
  targets?: readonly string[];
  /** Destination UDP port; default 9999. */
  port?: number;
  /** How long to collect replies, s; default 3. */
  timeoutS?: number;
  /** `table` (default), `json` (array of plugs) or `config` (a `devices` array). */
  format?: 'table' | 'json' | 'config';
  /** Where notes about ignored replies go (`--verbose`); none by default. */
  debug?: NodeJS.WritableStream;
  /** Sends per target, default 3 (python-kasa's `discovery_packets`). */
  repeats?: number;
  /** Pause between sends, ms; default 500. */
  intervalMs?: number;
  /**
   * UDP port newer plugs (KLAP, AES) answer discovery on, default 20002; `false`: not asked.
   * The probe carries an RSA public key, as python-kasa's does.
   */
  smartPort?: number | false;
  /** Measures how long building the UDP 20002 probe took (monotonic); default the system clock. */
  clock?: Clock;
}

/** Plugs kept at most: anything on the LAN may answer, each reply with another MAC. */
export const DISCOVER_MAX_PLUGS = 1024;

/**
 * What tells two plugs apart: the MAC, else the deviceId, else the sender address. Not the
 * address alone: two plugs can answer from one (a simulator, a NAT, a gateway).
 */
function plugKey(plug: DiscoveredPlug): string {
  if (plug.mac !== undefined) return `mac ${plug.mac.toUpperCase()}`;
  if (plug.deviceId !== undefined) return `id ${plug.deviceId.toUpperCase()}`;
  return `host ${plug.host}`;
}

/**
 * Collects the plugs that answer a UDP sysinfo request, one per MAC (else deviceId, else sender
 * address): the first valid reply of each wins, as every plug answers each of the repeated
 * requests. A reply that is not a plug's sysinfo is ignored with a note on `debug`, never fatal:
 * anything on the LAN may answer on port 9999. At most {@link DISCOVER_MAX_PLUGS} are kept.
 * @returns the plugs sorted by address (then MAC), and the sends that failed
 * @throws Error when the local UDP socket cannot be bound
 */
export async function discover(opts: DiscoverOptions): Promise<{
  plugs: DiscoveredPlug[];
  newer: HttpDiscovery[];
  failed: { target: string; code: string }[];
}> {
  const found = new Map<string, DiscoveredPlug>();
  const [failed, newer] = await Promise.all([probeXor(opts, found), probeNewer(opts)]);
  // A plug that answered on 9999 is listed there, even when it answers on 20002 as well.
  const listed = new Set([...found.values()].map((p) => p.host));
  for (const [key, plug] of newer) if (listed.has(plug.host)) newer.delete(key);
  return {
    plugs: [...found.values()].sort(byHost),
    newer: [...newer.values()].sort(byHost),
    failed,
  };
}

/** Asks UDP 20002 (python-kasa's second discovery port) with the RSA-key probe. */
async function probeNewer(opts: DiscoverOptions): Promise<Map<string, HttpDiscovery>> {
  const found = new Map<string, HttpDiscovery>();
  if (opts.smartPort === false) return found;
  const clock = opts.clock ?? systemClock;
  const started = clock.monotonic();
  const payload = await tdpProbe();
  const timeoutMs = (opts.timeoutS ?? 3) * 1000 - (clock.monotonic() - started);
  if (timeoutMs <= 0) return found;
  await probe(
    {
      targets: opts.targets ?? [DEFAULT_DISCOVERY_TARGET],
      port: opts.smartPort ?? TDP_PORT,
      payload,
      timeoutMs,
      repeats: opts.repeats,
      intervalMs: opts.intervalMs,
      decode: (msg) => msg,
    },
    (reply) => {
      try {
        const plug = parseHttpDiscovery(decodeTdp(reply.plaintext), reply.address);
        const key = plug.mac !== undefined ? `mac ${plug.mac.toUpperCase()}` : `host ${plug.host}`;
        if (found.has(key)) return;
        if (found.size >= DISCOVER_MAX_PLUGS) return;
        found.set(key, plug);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        opts.debug?.write(
          `debug: ignored reply from ${reply.address}:${reply.port} on the newer plugs' port: ${why.replace(/[^\x20-\x7e]/g, '?')}\n`,
        );
      }
    },
  );
  return found;
}

async function probeXor(
  opts: DiscoverOptions,
  found: Map<string, DiscoveredPlug>,
): Promise<ProbeSendError[]> {
  return probe(
    {
      targets: opts.targets ?? [DEFAULT_DISCOVERY_TARGET],
      port: opts.port ?? 9999,
      payload: DISCOVERY_DATAGRAM,
      timeoutMs: (opts.timeoutS ?? 3) * 1000,
      repeats: opts.repeats,
      intervalMs: opts.intervalMs,
    },
    (reply) => {
      try {
        const plug = parseDiscoveryReply(reply.plaintext, reply.address);
        const key = plugKey(plug);
        if (found.has(key)) return;
        if (found.size >= DISCOVER_MAX_PLUGS) {
          opts.debug?.write(`debug: more than ${DISCOVER_MAX_PLUGS} plugs; ignoring the rest\n`);
          return;
        }
        found.set(key, plug);
      } catch (e) {
        const raw = e instanceof Error ? e.message : String(e);
        const why = raw.startsWith(`${reply.address}: `)
          ? raw.slice(reply.address.length + 2)
          : raw;
        const size = reply.plaintext.length;
        opts.debug?.write(
          // A parse error quotes the reply: its control characters never reach the terminal raw.
          // eslint-disable-next-line no-control-regex -- matching control characters is the point
          `debug: ignored reply from ${reply.address}:${reply.port} (${size} bytes): ${why.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')}\n`,
        );
      }
    },
  );
}

/** Addresses more than one plug answered from, in order. */
function sharedHosts(plugs: readonly DiscoveredPlug[]): string[] {
  const seen = new Set<string>();
  const shared = new Set<string>();
  for (const p of plugs) (seen.has(p.host) ? shared : seen).add(p.host);
  return [...shared];
}

/**
 * `kasa-collector discover`: finds plugs with a UDP request (docs/protocol.md#udp-and-discovery)
 * and prints them as a table, a JSON array or a config `devices` array.
 *
 * Finding none is not an error (the plugs may sit on another subnet, or a firewall drops
 * broadcasts): exit 0 with `no plugs answered within N s` on `err`, and `[]` on `out` for the
 * JSON forms so a pipeline still gets valid JSON.
 * @param opts targets, port, timeout, output form
 * @param out where the result goes (stdout)
 * @param err where notes go (stderr)
 * @returns 0, or 1 when the request could not be sent to any target
 * @throws Error when the local UDP socket cannot be bound
 */
export async function discoverCommand(
  opts: DiscoverOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const targets = opts.targets ?? [DEFAULT_DISCOVERY_TARGET];
  const { plugs, newer, failed } = await discover({ ...opts, targets });
  for (const f of failed) {
    const hint = f.code === 'EACCES' ? ' (a broadcast address of a subnet that is not a /24?)' : '';
    err.write(`discover: could not send to ${f.target}:${opts.port ?? 9999}: ${f.code}${hint}\n`);
  }
  const format = opts.format ?? 'table';
  if (format === 'json') out.write(formatJson(plugs, newer));
  else if (format === 'config') out.write(formatConfig(plugs, newer));
  else {
    if (plugs.length > 0) out.write(formatTable(plugs));
    if (newer.length > 0) out.write(`${plugs.length > 0 ? '\n' : ''}${formatNewerTable(newer)}`);
  }
  for (const host of sharedHosts(plugs)) {
    err.write(
      `note: several plugs answered from ${host}; discovery cannot see their TCP ports, ` +
        'so give each its "port" in the config\n',
    );
  }
  const none = plugs.length === 0 && newer.length === 0;
  if (none) err.write(`no plugs answered within ${opts.timeoutS ?? 3} s\n`);
  return failed.length === targets.length && none ? 1 : 0;
}
