/**
 * The device side of KLAP (`src/kasa/transport/klap-cipher.ts` for the algorithm, after
 * python-kasa's `klaptransport.py`): handshake1 answers a random seed and the proof of the
 * account the device holds, handshake2 checks the client's proof, each request is checked
 * (signature, sequence) and answered encrypted and signed with the request's seq. Pure state
 * machine over (path, body, cookie) → (status, body, cookie); the HTTP server is `http-plug.ts`.
 *
 * Simulator choices, not verified on firmware: a session is forgotten after its `TIMEOUT`
 * seconds or when {@link KlapServer.expireAll} is called, after which its requests get 403; a
 * failed handshake2 or a request that does not verify gets 400; at most 16 sessions are kept
 * (the oldest goes first).
 */
import { randomBytes } from 'node:crypto';
import type { Credentials } from '../kasa/transport/credentials.js';
import {
  authHash,
  clientProof,
  deviceProof,
  KlapSession,
  type KlapVersion,
} from '../kasa/transport/klap-cipher.js';

/** What the server answers. */
export interface ServerReply {
  status: number;
  body: Buffer;
  /** `Set-Cookie` header value. */
  setCookie?: string;
}

interface KlapState {
  local: Buffer;
  remote: Buffer;
  hash: Buffer;
  session: KlapSession | undefined;
  expires: number;
  lastSeq: number | undefined;
}

const MAX_SESSIONS = 16;

/** How a {@link KlapServer} behaves. */
export interface KlapServerOptions {
  version: KlapVersion;
  /** The account the device holds (the blank one for an unbound device). */
  account: Credentials;
  /** The session's life announced in the `TIMEOUT` cookie, s. */
  sessionS: number;
  /** ms clock for session expiry. */
  now: () => number;
}

/** One device's KLAP sessions. */
export class KlapServer {
  readonly #sessions = new Map<string, KlapState>();
  readonly #hash: Buffer;
  /** Requests answered, handshakes done (for tests). */
  handshakes = 0;
  /** Corrupt the signature of every reply (a fault). */
  badSignature = false;

  /** @param options generation, account, session life, clock */
  constructor(private readonly options: KlapServerOptions) {
    this.#hash = authHash(options.version, options.account);
  }

  /** Forgets every session: the next request of each gets 403. */
  expireAll(): void {
    this.#sessions.clear();
  }

  /**
   * Handles one POST.
   * @param path `/app/handshake1`, `/app/handshake2` or `/app/request`
   * @param query the URL's query (`seq` for requests)
   * @param body the request body
   * @param sessionId the `TP_SESSIONID` cookie, if sent
   * @param dispatch answers a decrypted request's JSON text with the reply's JSON text
   */
  handle(
    path: string,
    query: URLSearchParams,
    body: Buffer,
    sessionId: string | undefined,
    dispatch: (json: string) => string,
  ): ServerReply {
    const { version } = this.options;
    if (path === '/app/handshake1') {
      if (body.length !== 16) return { status: 400, body: Buffer.alloc(0) };
      const remote = randomBytes(16);
      const id = randomBytes(16).toString('hex').toUpperCase();
      this.#sessions.set(id, {
        local: Buffer.from(body),
        remote,
        hash: this.#hash,
        session: undefined,
        expires: this.options.now() + this.options.sessionS * 1000,
        lastSeq: undefined,
      });
      while (this.#sessions.size > MAX_SESSIONS) {
        this.#sessions.delete(this.#sessions.keys().next().value as string);
      }
      const proof = deviceProof(version, body, remote, this.#hash);
      return {
        status: 200,
        body: Buffer.concat([remote, proof]),
        setCookie: `TP_SESSIONID=${id};TIMEOUT=${this.options.sessionS}`,
      };
    }
    const state = sessionId === undefined ? undefined : this.#sessions.get(sessionId);
    if (state !== undefined && this.options.now() >= state.expires) {
      this.#sessions.delete(sessionId as string);
    }
    const live = state !== undefined && this.options.now() < state.expires ? state : undefined;
    if (path === '/app/handshake2') {
      if (live === undefined) return { status: 403, body: Buffer.alloc(0) };
      if (!clientProof(version, live.local, live.remote, live.hash).equals(body)) {
        this.#sessions.delete(sessionId as string);
        return { status: 400, body: Buffer.alloc(0) };
      }
      live.session = new KlapSession(live.local, live.remote, live.hash);
      this.handshakes++;
      return { status: 200, body: Buffer.alloc(0) };
    }
    if (path === '/app/request') {
      if (live?.session === undefined) return { status: 403, body: Buffer.alloc(0) };
      const seq = Number(query.get('seq'));
      if (!Number.isInteger(seq) || (live.lastSeq !== undefined && seq <= live.lastSeq - 64)) {
        return { status: 400, body: Buffer.alloc(0) };
      }
      let text: string;
      try {
        text = live.session.decrypt(body, seq).toString('utf8');
      } catch {
        return { status: 400, body: Buffer.alloc(0) };
      }
      live.lastSeq = seq;
      const reply = live.session.encryptWithSeq(dispatch(text), seq);
      if (this.badSignature) reply[0] = (reply[0] as number) ^ 0xff;
      return { status: 200, body: reply };
    }
    return { status: 404, body: Buffer.alloc(0) };
  }
}
