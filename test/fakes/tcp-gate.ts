/**
 * A TCP pass-through on 127.0.0.1 that a test opens and closes: closed, connections are refused
 * and open ones are cut (a network outage); open, each connection is piped to the target port
 * (a broker that may itself restart on that port).
 *
 * Why: after an outage a test must have its subscriber listening BEFORE the client under test
 * reconnects and flushes its backlog. Gating the network keeps the client on its real
 * reconnect path (MQTT.js's own timer); MQTT.js's public `reconnect()` is no substitute, as it
 * starts over with an empty outgoing store, which production never does.
 */
import net from 'node:net';

/** The gate; see the file comment. */
export class TcpGate {
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #port = 0;

  /** @param target the port connections are piped to (read at each connection) */
  constructor(private readonly target: () => number) {}

  /** The listening port: free the first time, the same one after every re-open. */
  get port(): number {
    return this.#port;
  }

  /** Starts accepting and piping connections. */
  async open(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = net.createServer((socket) => this.#pipe(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Refuses new connections and cuts the open ones. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  #pipe(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.target() });
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.once('close', () => {
        this.#sockets.delete(s);
        cut();
      });
      s.on('error', cut);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
