/**
 * The transport a plug needs, for tools that send raw requests (`send`): found as
 * `AutoDevice` finds it (`connect.ts`), a TCP connect to the configured port standing in for
 * the first XOR request; refused, discovery on UDP 20002 names the HTTP transport.
 */
import net from 'node:net';
import { systemClock } from '../clock.js';
import type { AutoDeviceOptions } from './connect.js';
import { discoverHttp, httpTransport, loadHttpModules, type Connection } from './http-modules.js';
import type { PlugAddress, Transport } from './transport/transport.js';
import { XorTransport } from './transport/xor.js';

/** A transport for one-shot tools (`send`), with the protocol it carries. */
export interface OpenedTransport {
  transport: Transport;
  connection: Connection;
}

/** True when a TCP connection to `address` is accepted within `timeoutMs`. */
function tcpAccepts(address: PlugAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Opens the transport a plug needs, found as `AutoDevice` finds it (a TCP connect to the
 * configured port standing in for the first XOR request), for tools that send raw requests.
 * @param options address, forced transport, account
 * @param timeoutMs deadline of the search (and of KLAP's handshake when forced)
 * @throws PlugError PLUG_REFUSED when nothing answers, or as the transports do
 */
export async function openTransport(
  options: AutoDeviceOptions,
  timeoutMs: number,
): Promise<OpenedTransport> {
  const { host, port, account } = options;
  const clock = options.clock ?? systemClock;
  const acc = account ? { account } : {};
  const address = { host, port };
  const forced = options.transport;
  if (forced === 'xor' || (forced === undefined && (await tcpAccepts(address, timeoutMs)))) {
    return {
      transport: new XorTransport(address),
      connection: { transport: 'xor', protocol: 'iot', port },
    };
  }
  const { AesTransport, KlapTransport } = await loadHttpModules();
  if (forced === 'aes') {
    return {
      transport: new AesTransport(address, { ...acc, clock }),
      connection: { transport: 'aes', protocol: 'smart', port },
    };
  }
  if (forced === 'klap') {
    const klap = new KlapTransport(address, { ...acc, clock });
    const version = await klap.handshake(timeoutMs);
    return {
      transport: klap,
      connection: { transport: 'klap', protocol: version === 1 ? 'iot' : 'smart', port },
    };
  }
  const found = await discoverHttp(host, `${host}:${port}`, timeoutMs, options.discoveryPort);
  const { transport, connection } = await httpTransport(found, host, account, clock);
  return { transport, connection };
}
