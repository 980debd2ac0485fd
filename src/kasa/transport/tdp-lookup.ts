/**
 * Asks one address on UDP 20002 how it wants to be reached (`tdp.ts` for the datagram): the
 * probe goes out twice, 300 ms apart (UDP may lose one), from a socket connected to that address
 * so that a host with nothing on the port answers at once with ICMP "port unreachable" instead of
 * leaving the caller to wait out its deadline.
 */
import dgram from 'node:dgram';
import { systemClock, type Clock } from '../../clock.js';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { generateRsaKeyPair, type RsaKeyPair } from './aes-cipher.js';
import { decodeTdp, probeDatagram, TDP_PORT } from './tdp.js';

let probeKey: Promise<RsaKeyPair> | undefined;

/**
 * The RSA key sent in discovery probes: 2048 bits as python-kasa sends, generated once per
 * process in the thread pool.
 */
export function probeKeyPair(): Promise<RsaKeyPair> {
  probeKey ??= generateRsaKeyPair(2048).catch((err: unknown) => {
    probeKey = undefined;
    throw err;
  });
  return probeKey;
}

/** The probe datagram with the process's key and a fresh serial. */
export async function tdpProbe(): Promise<Buffer> {
  const keys = await probeKeyPair();
  return probeDatagram(keys.publicPem, randomBytes(4).readUInt32BE(0));
}

/**
 * Sends the discovery probe to one host and waits for its answer.
 * @param host the plug's address
 * @param timeoutMs how long to wait, ms
 * @param port the UDP port, default 20002
 * @param clock measures the time the probe took to build (monotonic)
 * @returns the answer's JSON body, or undefined when nothing (valid) came back in time or the
 *   host refused the port
 */
export async function lookupTdp(
  host: string,
  timeoutMs: number,
  port = TDP_PORT,
  clock: Clock = systemClock,
): Promise<Record<string, unknown> | undefined> {
  const started = clock.monotonic();
  const datagram = await tdpProbe();
  const left = timeoutMs - (clock.monotonic() - started);
  if (left <= 0) return undefined;
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (value: Record<string, unknown> | undefined): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      socket.close();
      resolve(value);
    };
    socket.on('error', () => finish(undefined));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== host && !(host === 'localhost' && rinfo.address.startsWith('127.')))
        return;
      try {
        finish(decodeTdp(msg));
      } catch {
        // Not a discovery answer: keep waiting for one.
      }
    });
    socket.connect(port, host, () => {
      const send = (): void => socket.send(datagram, (err) => err && finish(undefined));
      send();
      if (left > 300) timers.push(setTimeout(send, 300));
    });
    timers.push(setTimeout(() => finish(undefined), left));
  });
}
