/**
 * A simulated plug's answer to discovery on UDP 20002 (`src/kasa/transport/tdp.ts` for the
 * datagram, after python-kasa's `kasa/discover.py`): any probe with a 16-byte header is answered
 * from the plug's address with the same header layout and `{"error_code":0,"result":{…}}`, the
 * result built when the probe arrives (so it carries the HTTP port actually bound).
 *
 * Simulator choice: the answer has no `encrypt_info` (the part newer firmware encrypts to the
 * probe's RSA key); python-kasa reads the plaintext fields, which are all a client needs.
 */
import type dgram from 'node:dgram';
import { encodeTdp, TDP_HEADER_BYTES } from '../kasa/transport/tdp.js';
import { LoopbackUdpResponder } from './loopback-udp.js';

/** A discovery responder. The constructor only assigns; `start()` binds. */
export class SimulatedTdpResponder extends LoopbackUdpResponder {
  /** Probes received. */
  probes = 0;

  /**
   * @param result builds the `result` object of the answer
   * @param host loopback address to bind (default `127.0.0.1`)
   * @param requestedPort UDP port: 20002 as on a LAN, 0 (default) for a free one
   */
  constructor(
    private readonly result: () => Record<string, unknown>,
    host = '127.0.0.1',
    requestedPort = 0,
  ) {
    super('SimulatedTdpResponder', host, requestedPort);
  }

  /** Answers a probe with the header layout it came with (see above). */
  protected onDatagram(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < TDP_HEADER_BYTES || msg[0] !== 2) return;
    this.probes++;
    const body = JSON.stringify({ error_code: 0, result: this.result() });
    socket.send(encodeTdp(body, msg.readUInt32BE(8), 2), rinfo.port, rinfo.address);
  }
}
