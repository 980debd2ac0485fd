/**
 * The UDP side of a simulated plug: answers datagrams on a loopback port the way a plug answers on
 * UDP 9999 (docs/protocol.md#udp-and-discovery: same cipher, no length prefix, the reply goes back
 * to the sender's address and port). A discovery request `{"system":{"get_sysinfo":{}}}` gets
 * `{"system":{"get_sysinfo":{...}}}` with the plug's live sysinfo; other requests are answered by
 * the same dispatcher as TCP (`answer.ts`).
 *
 * A separate class taking a {@link SimulatedPlug}, so the TCP plug stays as it is: start one
 * responder per plug, on `127.0.0.x` (Linux answers on all of `127.0.0.0/8`) to give several
 * plugs distinct sender addresses on the same port.
 */
import type dgram from 'node:dgram';
import { decodeDatagram, encodeDatagram } from '../kasa/transport/udp.js';
import { answer } from './answer.js';
import { LoopbackUdpResponder } from './loopback-udp.js';
import type { SimulatedPlug } from './plug.js';

/** How a {@link SimulatedUdpResponder} replies. */
export type UdpReplyMode =
  /** As a plug would. */
  | 'answer'
  /** 32 bytes that decrypt to nothing JSON (a foreign service on port 9999). */
  | 'garbage'
  /** Nothing (a plug that lost the datagram). */
  | 'silent';

/** How to build a {@link SimulatedUdpResponder}. */
export interface SimulatedUdpOptions {
  /** Loopback address to bind: `127.0.0.0/8` or `::1`; default `127.0.0.1`. Anything else is refused. */
  host?: string;
  /** UDP port; 0 (default) picks a free one. */
  port?: number;
  /** Default `answer`. */
  mode?: UdpReplyMode;
  /** When set, this plaintext is encrypted and sent instead of the answer (e.g. `[1,2]`). */
  rawReply?: string;
}

/** A plug's UDP responder. The constructor only assigns; `start()` binds. */
export class SimulatedUdpResponder extends LoopbackUdpResponder {
  /** Every datagram received, parsed (or the raw text when it was not JSON), oldest first. */
  readonly received: unknown[] = [];
  readonly #plug: SimulatedPlug;
  readonly #opts: SimulatedUdpOptions;

  /**
   * @param plug whose sysinfo and relay the replies use
   * @param options see {@link SimulatedUdpOptions}
   */
  constructor(plug: SimulatedPlug, options: SimulatedUdpOptions = {}) {
    super('SimulatedUdpResponder', options.host ?? '127.0.0.1', options.port ?? 0);
    this.#plug = plug;
    this.#opts = options;
  }

  /**
   * Answers one datagram as {@link SimulatedUdpOptions} say. The plug itself should be started
   * before this responder (its sysinfo needs it).
   */
  protected onDatagram(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const text = decodeDatagram(msg).toString('utf8');
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      request = undefined;
    }
    this.received.push(request ?? text);
    const mode = this.#opts.mode ?? 'answer';
    if (mode === 'silent') return;
    let reply: Buffer | undefined;
    if (mode === 'garbage') reply = Buffer.from('\u00c8'.repeat(32), 'latin1');
    else if (this.#opts.rawReply !== undefined) reply = encodeDatagram(this.#opts.rawReply);
    else {
      const obj = answer(request, this.#plug.deviceView());
      if (obj !== undefined) reply = encodeDatagram(JSON.stringify(obj));
    }
    if (reply !== undefined) socket.send(reply, rinfo.port, rinfo.address);
  }
}
