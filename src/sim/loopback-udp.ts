/**
 * The one way the simulators bind a UDP port: loopback only, errors after the bind ignored (a
 * simulated device never dies of a bad datagram). Used by the UDP 9999 responder (`udp.ts`) and
 * the discovery responder on UDP 20002 (`tdp-responder.ts`).
 */
import dgram from 'node:dgram';
import { isLoopbackAddress } from '../kasa/transport/udp.js';

/**
 * Binds a UDP socket on a loopback address and hands it every datagram.
 * @param who the responder's name, for the error
 * @param host `127.0.0.0/8` or `::1`
 * @param port the UDP port; 0 for a free one
 * @param onMessage called with each datagram and the socket to answer on
 * @returns the bound socket
 * @throws Error when `host` is not loopback, or the bind fails (EADDRINUSE, EADDRNOTAVAIL …)
 */
export async function bindLoopbackUdp(
  who: string,
  host: string,
  port: number,
  onMessage: (socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo) => void,
): Promise<dgram.Socket> {
  if (!isLoopbackAddress(host)) throw new Error(`${who} binds loopback only, not ${host}`);
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => undefined);
  socket.on('message', (msg, rinfo) => onMessage(socket, msg, rinfo));
  return socket;
}

/**
 * Closes a socket bound by {@link bindLoopbackUdp}; nothing when there is none.
 * @param socket the socket, or `undefined`
 */
export function closeUdp(socket: dgram.Socket | undefined): Promise<void> {
  if (socket === undefined) return Promise.resolve();
  return new Promise<void>((resolve) => socket.close(() => resolve()));
}
