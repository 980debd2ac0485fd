/**
 * The one way the simulators bind a UDP port: loopback only, errors after the bind ignored (a
 * simulated device never dies of a bad datagram). Used by the UDP 9999 responder (`udp.ts`) and
 * the discovery responder on UDP 20002 (`tdp-responder.ts`).
 */
import dgram from 'node:dgram';
import { isLoopbackAddress } from '../kasa/transport/udp.js';

/**
 * A simulated device's loopback UDP port: binds, hands each datagram to {@link onDatagram}, closes.
 * The constructor only assigns; `start()` binds.
 */
export abstract class LoopbackUdpResponder {
  #socket: dgram.Socket | undefined;
  #port = 0;

  /**
   * @param who the responder's name, for the error
   * @param host `127.0.0.0/8` or `::1`
   * @param requestedPort the UDP port; 0 for a free one
   */
  constructor(
    private readonly who: string,
    readonly host: string,
    private readonly requestedPort: number,
  ) {}

  /**
   * Answers one datagram (or not).
   * @param socket the socket to answer on
   * @param msg the datagram
   * @param rinfo its sender
   */
  protected abstract onDatagram(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void;

  /** The bound port; 0 before `start()`. */
  get port(): number {
    return this.#port;
  }

  /**
   * Binds the socket; nothing when already bound.
   * @returns the bound port
   * @throws Error when `host` is not loopback, or the bind fails (EADDRINUSE, EADDRNOTAVAIL …)
   */
  async start(): Promise<number> {
    if (this.#socket !== undefined) return this.#port;
    const { who, host } = this;
    if (!isLoopbackAddress(host)) throw new Error(`${who} binds loopback only, not ${host}`);
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port: this.requestedPort }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => this.onDatagram(socket, msg, rinfo));
    this.#socket = socket;
    this.#port = socket.address().port;
    return this.#port;
  }

  /** Closes the socket. Safe to call twice. */
  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
