/**
 * A fake MQTT 5 broker on 127.0.0.1 that announces a small Receive Maximum in its CONNACK and
 * counts each client's QoS 1 publishes not yet acknowledged, as a broker enforcing MQTT 5.0 §4.9
 * would (EMQX disconnects a client past it with reason code 0x93, "Receive Maximum exceeded";
 * this fake records the peak and does the same). PUBACKs go out on the next turn of the event
 * loop, after every packet of the chunk that carried them is parsed, so a client that does not
 * hold its publishes back is caught. Subscriptions (`+` and `#` filters) get matching publishes
 * at QoS 0, not retained; nothing is retained. CONNACKs can be held back ({@link FlowBroker.hold})
 * so a test can queue work before the connection comes up, and a connection dropped mid-burst
 * ({@link FlowBroker.dropAt}). Built on mqtt-packet, MQTT.js's own
 * packet codec. QoS 2 is not supported (a QoS 2 publish is counted and never acknowledged).
 */
import net from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';

/** A publish the broker received. */
export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** Topic filter match of MQTT 3.1.1 §4.7 (`+` one level, `#` the rest). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

interface Conn {
  socket: net.Socket;
  filters: string[];
  unacked: number;
  connect: Packet | undefined;
}

/** The running fake. */
export class FlowBroker {
  /** Every publish received, in arrival order. */
  readonly received: Received[] = [];
  /** Most QoS 1 publishes unacknowledged at once on one connection. */
  peakUnacked = 0;
  /** Connections closed for exceeding the Receive Maximum (reason code 0x93). */
  violations = 0;
  readonly #server: net.Server;
  readonly #conns = new Set<Conn>();
  #held = false;
  /** Drops the connection, unacknowledged, when the publish with this index comes in. */
  dropAt: number | undefined;

  private constructor(
    readonly receiveMaximum: number,
    readonly port: number,
    server: net.Server,
  ) {
    this.#server = server;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Starts on a free loopback port. */
  static async start(receiveMaximum: number): Promise<FlowBroker> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    return new FlowBroker(receiveMaximum, port, server);
  }

  /** `mqtt://127.0.0.1:<port>` */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** True once a CONNECT came in (answered or held). */
  get connectSeen(): boolean {
    for (const c of this.#conns) if (c.connect !== undefined) return true;
    return false;
  }

  /** Holds CONNACKs back until {@link release}. */
  hold(): void {
    this.#held = true;
  }

  /** Answers the held CONNECTs and every later one at once. */
  release(): void {
    this.#held = false;
    for (const c of this.#conns) if (c.connect !== undefined) this.#connack(c);
  }

  /** Closes every connection and the listener. */
  async stop(): Promise<void> {
    for (const c of this.#conns) c.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    const conn: Conn = { socket, filters: [], unacked: 0, connect: undefined };
    this.#conns.add(conn);
    socket.on('close', () => this.#conns.delete(conn));
    socket.on('error', () => socket.destroy());
    const p = parser({ protocolVersion: 5 });
    p.on('packet', (packet: Packet) => this.#packet(conn, packet));
    p.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => p.parse(chunk));
  }

  #send(conn: Conn, packet: Packet): void {
    if (!conn.socket.destroyed) conn.socket.write(generate(packet, { protocolVersion: 5 }));
  }

  #connack(conn: Conn): void {
    this.#send(conn, {
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: { receiveMaximum: this.receiveMaximum },
    });
    conn.connect = undefined;
  }

  #packet(conn: Conn, packet: Packet): void {
    switch (packet.cmd) {
      case 'connect':
        conn.connect = packet;
        if (!this.#held) this.#connack(conn);
        return;
      case 'publish': {
        const payload = packet.payload.toString();
        this.received.push({
          topic: packet.topic,
          payload,
          qos: packet.qos,
          retain: packet.retain,
        });
        if (this.received.length - 1 === this.dropAt) return void conn.socket.destroy();
        this.#forward(packet.topic, payload);
        if (packet.qos === 0) return;
        conn.unacked++;
        this.peakUnacked = Math.max(this.peakUnacked, conn.unacked);
        if (conn.unacked > this.receiveMaximum) {
          this.violations++;
          this.#send(conn, { cmd: 'disconnect', reasonCode: 0x93 });
          conn.socket.end();
          return;
        }
        if (packet.qos !== 1) return;
        const { messageId } = packet;
        setImmediate(() => {
          conn.unacked--;
          this.#send(conn, { cmd: 'puback', messageId, reasonCode: 0 });
        });
        return;
      }
      case 'subscribe':
        conn.filters.push(...packet.subscriptions.map((s) => s.topic));
        this.#send(conn, {
          cmd: 'suback',
          messageId: packet.messageId,
          granted: packet.subscriptions.map((s) => s.qos),
        });
        return;
      case 'pingreq':
        this.#send(conn, { cmd: 'pingresp' });
        return;
      case 'disconnect':
        conn.socket.end();
        return;
      default:
        return;
    }
  }

  /** Hands a publish to every subscription it matches, at QoS 0. */
  #forward(topic: string, payload: string): void {
    for (const c of this.#conns) {
      if (!c.filters.some((f) => matches(f, topic))) continue;
      this.#send(c, { cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false });
    }
  }
}
