/**
 * The device side of the AES transport (`src/kasa/transport/aes-cipher.ts`, after python-kasa's
 * `aestransport.py`): `handshake` answers a fresh AES key and IV encrypted to the client's RSA
 * key (PKCS#1 v1.5: encrypting with it is what the device does, and Node allows it), and sets
 * the session cookie; `login_device` through `securePassthrough` checks the account hashes and
 * answers a token; requests to `/app?token=…` are decrypted, dispatched and answered encrypted.
 *
 * Simulator choices, not verified on firmware: an expired or unknown session, or a wrong token,
 * answers `{"error_code":9999}` (SESSION_TIMEOUT_ERROR, what python-kasa's retry is for); a
 * rejected login answers `-1501` (LOGIN_ERROR) inside the encrypted reply; an envelope that does
 * not decrypt answers `-1005` (AES_DECODE_FAIL_ERROR). At most 16 sessions are kept.
 */
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { AesSession, loginParams, type LoginVersion } from '../kasa/transport/aes-cipher.js';
import type { Credentials } from '../kasa/transport/credentials.js';
import type { ServerReply } from './klap-server.js';
import { isObject, type Json } from '../kasa/protocol/json.js';

interface AesState {
  cipher: AesSession;
  token: string | undefined;
  expires: number;
}

const MAX_SESSIONS = 16;

/** How an {@link AesServer} behaves. */
export interface AesServerOptions {
  /** The login generation the device checks (discovery `lv`; 1 when absent). */
  loginVersion: LoginVersion;
  /** The account the device holds (the blank one for an unbound device). */
  account: Credentials;
  /** The session's life announced in the `TIMEOUT` cookie, s. */
  sessionS: number;
  now: () => number;
}

const json = (obj: unknown): Buffer => Buffer.from(JSON.stringify(obj), 'utf8');

/** One device's AES sessions. */
export class AesServer {
  readonly #sessions = new Map<string, AesState>();
  readonly #expected: Record<string, string>;
  /** Handshakes answered (for tests). */
  handshakes = 0;

  /** @param options login generation, account, session life, clock */
  constructor(private readonly options: AesServerOptions) {
    this.#expected = loginParams(options.loginVersion, options.account);
  }

  /** Forgets every session: the next request of each answers 9999. */
  expireAll(): void {
    this.#sessions.clear();
  }

  /**
   * Handles one `POST /app` (with or without `?token=`).
   * @param query the URL's query
   * @param body the JSON body
   * @param sessionId the `TP_SESSIONID` cookie
   * @param dispatch answers a decrypted inner request (JSON text) with the reply's JSON text
   */
  handle(
    query: URLSearchParams,
    body: Buffer,
    sessionId: string | undefined,
    dispatch: (json: string) => string,
  ): ServerReply {
    let outer: unknown;
    try {
      outer = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 200, body: json({ error_code: -1003 }) };
    }
    if (!isObject(outer)) return { status: 200, body: json({ error_code: -1003 }) };
    const params = isObject(outer['params']) ? outer['params'] : {};
    if (outer['method'] === 'handshake') return this.#handshake(params);
    if (outer['method'] !== 'securePassthrough')
      return { status: 200, body: json({ error_code: -1002 }) };
    const state = sessionId === undefined ? undefined : this.#sessions.get(sessionId);
    if (state === undefined || this.options.now() >= state.expires) {
      if (sessionId !== undefined) this.#sessions.delete(sessionId);
      return { status: 200, body: json({ error_code: 9999 }) };
    }
    let inner: string;
    try {
      inner = state.cipher.decrypt(String(params['request'])).toString('utf8');
    } catch {
      return { status: 200, body: json({ error_code: -1005 }) };
    }
    const token = query.get('token');
    let reply: string;
    if (token === null) {
      reply = this.#login(state, inner);
    } else if (state.token === undefined || token !== state.token) {
      return { status: 200, body: json({ error_code: 9999 }) };
    } else {
      reply = dispatch(inner);
    }
    return {
      status: 200,
      body: json({ error_code: 0, result: { response: state.cipher.encrypt(reply) } }),
    };
  }

  #handshake(params: Json): ServerReply {
    const key = params['key'];
    if (typeof key !== 'string') return { status: 200, body: json({ error_code: -1010 }) };
    const secret = randomBytes(32);
    let encrypted: Buffer;
    try {
      encrypted = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, secret);
    } catch {
      return { status: 200, body: json({ error_code: -1010 }) };
    }
    const id = randomBytes(16).toString('hex').toUpperCase();
    this.#sessions.set(id, {
      cipher: AesSession.fromSecret(secret),
      token: undefined,
      expires: this.options.now() + this.options.sessionS * 1000,
    });
    while (this.#sessions.size > MAX_SESSIONS) {
      this.#sessions.delete(this.#sessions.keys().next().value as string);
    }
    this.handshakes++;
    return {
      status: 200,
      body: json({ error_code: 0, result: { key: encrypted.toString('base64') } }),
      setCookie: `TP_SESSIONID=${id};TIMEOUT=${this.options.sessionS}`,
    };
  }

  #login(state: AesState, inner: string): string {
    let request: unknown;
    try {
      request = JSON.parse(inner);
    } catch {
      return JSON.stringify({ error_code: -1003 });
    }
    if (!isObject(request) || request['method'] !== 'login_device') {
      return JSON.stringify({ error_code: 9999 });
    }
    const params = isObject(request['params']) ? request['params'] : {};
    const ok = Object.entries(this.#expected).every(([k, v]) => params[k] === v);
    if (!ok) return JSON.stringify({ error_code: -1501 });
    state.token = randomBytes(16).toString('hex').toUpperCase();
    return JSON.stringify({ error_code: 0, result: { token: state.token } });
  }
}
