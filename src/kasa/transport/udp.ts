/**
 * The Smart Home protocol over UDP port 9999: the same XOR autokey cipher as TCP, without the
 * 4-byte length prefix, one JSON document per datagram (python-kasa `kasa/discover.py`,
 * tplink-smarthome-api `src/client.ts`; docs/protocol.md#udp-and-discovery). Plugs answer from port
 * 9999 to the sender's address and port, which is what makes broadcast discovery work.
 *
 * This file only moves datagrams: what a reply means is `src/kasa/discovery.ts`'s job.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { decrypt, encrypt } from './xor-cipher.js';

/** Encrypts one request for UDP: ciphertext only, no length prefix. */
export function encodeDatagram(plaintext: string | Uint8Array): Buffer {
  return encrypt(plaintext);
}

/** Decrypts one datagram's payload into plaintext bytes (decode with `toString('utf8')`). */
export function decodeDatagram(payload: Uint8Array): Buffer {
  return decrypt(payload);
}

/**
 * The directed broadcast addresses of this host's IPv4 interfaces (`192.168.1.255` for
 * `192.168.1.20/24`), from `os.networkInterfaces()`.
 */
export function interfaceBroadcasts(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.family !== 'IPv4' || i.internal) continue;
      const a = i.address.split('.').map(Number);
      const m = i.netmask.split('.').map(Number);
      out.push(a.map((o, k) => (o | (~(m[k] as number) & 255)) >>> 0).join('.'));
    }
  }
  return out;
}

/**
 * True for an address a broadcast must be allowed for: the limited broadcast `255.255.255.255`,
 * a directed broadcast of one of this host's interfaces, or any IPv4 address ending in `.255`
 * (a /24's, the common home LAN). `SO_BROADCAST` is set only then, so a unicast probe can never
 * broadcast by accident; another subnet's broadcast fails with `EACCES`, which is reported.
 * @param address an IP address
 * @param broadcasts this host's directed broadcasts; default {@link interfaceBroadcasts}
 */
export function isBroadcastAddress(
  address: string,
  broadcasts: readonly string[] = interfaceBroadcasts(),
): boolean {
  if (!net.isIPv4(address)) return false;
  return address.endsWith('.255') || broadcasts.includes(address);
}

/** True for `127.0.0.0/8` and `::1`. */
export function isLoopbackAddress(address: string): boolean {
  return (net.isIPv4(address) && address.startsWith('127.')) || address === '::1';
}

/** What {@link probe} sends and how long it listens. */
export interface ProbeOptions {
  /** Where the request goes: IP addresses, broadcast or unicast (at least one). */
  targets: readonly string[];
  /** Destination UDP port, 9999 on real plugs. */
  port: number;
  /** The datagram to send (from {@link encodeDatagram}). */
  payload: Buffer;
  /** How long to collect replies after the first send, ms. */
  timeoutMs: number;
  /** How many times the request goes to each target (UDP loses datagrams); default 3. */
  repeats?: number;
  /** Pause between repeats, ms; default 500 (python-kasa's `discovery_packets` spacing). */
  intervalMs?: number;
  /** Turns a datagram into the reply's plaintext; default the XOR decryption. */
  decode?: (payload: Buffer) => Buffer;
}

/** One reply as it arrived. */
export interface ProbeReply {
  /** Sender address, e.g. `192.168.1.50`. */
  address: string;
  /** Sender UDP port (9999 on real plugs). */
  port: number;
  /** The payload decrypted, not parsed. */
  plaintext: Buffer;
}

/** A send that failed (no route, broadcast not permitted …); the probe goes on without it. */
export interface ProbeSendError {
  target: string;
  /** The socket error code, e.g. `ENETUNREACH`, `EACCES`. */
  code: string;
}

function bindAddress(targets: readonly string[], family: 4 | 6): string | undefined {
  // Listening only where the replies can come from: loopback when every target is loopback.
  if (!targets.every(isLoopbackAddress)) return undefined;
  return family === 4 ? '127.0.0.1' : '::1';
}

function openSocket(targets: readonly string[], family: 4 | 6): Promise<dgram.Socket> {
  const socket = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: 0, address: bindAddress(targets, family) }, () => {
      socket.off('error', reject);
      if (targets.some((t) => isBroadcastAddress(t))) socket.setBroadcast(true);
      resolve(socket);
    });
  });
}

/**
 * Sends `payload` to every target `repeats` times, `intervalMs` apart, and hands every reply to
 * `onReply` until `timeoutMs` after the first send. Replies are not deduplicated or parsed here.
 *
 * @param opts targets, port, payload and timing
 * @param onReply called once per datagram received, in arrival order
 * @returns the sends that failed, one entry per target (its first error); empty when all went out
 * @throws Error when the local socket cannot be bound
 */
export async function probe(
  opts: ProbeOptions,
  onReply: (reply: ProbeReply) => void,
): Promise<ProbeSendError[]> {
  const repeats = opts.repeats ?? 3;
  const interval = opts.intervalMs ?? 500;
  const families = new Set(opts.targets.map((t) => (net.isIPv6(t) ? 6 : 4) as 4 | 6));
  const sockets = new Map<4 | 6, dgram.Socket>();
  for (const f of families) {
    const forFamily = opts.targets.filter((t) => (net.isIPv6(t) ? 6 : 4) === f);
    sockets.set(f, await openSocket(forFamily, f));
  }
  const failed = new Map<string, string>();
  for (const socket of sockets.values()) {
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) =>
      onReply({
        address: rinfo.address,
        port: rinfo.port,
        plaintext: (opts.decode ?? decodeDatagram)(msg),
      }),
    );
  }
  const sendAll = (): void => {
    for (const target of opts.targets) {
      const socket = sockets.get(net.isIPv6(target) ? 6 : 4) as dgram.Socket;
      socket.send(opts.payload, opts.port, target, (err) => {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (err && !failed.has(target)) failed.set(target, code ?? err.message);
      });
    }
  };
  const timers: NodeJS.Timeout[] = [];
  await new Promise<void>((resolve) => {
    sendAll();
    for (let i = 1; i < repeats && i * interval < opts.timeoutMs; i++)
      timers.push(setTimeout(sendAll, i * interval));
    timers.push(setTimeout(resolve, opts.timeoutMs));
  });
  for (const t of timers) clearTimeout(t);
  await Promise.all([...sockets.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
  return [...failed].map(([target, code]) => ({ target, code }));
}
