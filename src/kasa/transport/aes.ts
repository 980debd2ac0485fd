/**
 * The AES ("securePassthrough") transport, behind the {@link Transport} contract: JSON over HTTP
 * on port 80 (`http.ts`, kept alive), each request encrypted (`aes-cipher.ts`) and wrapped in
 * `{"method":"securePassthrough","params":{"request":"<base64>"}}`. python-kasa's
 * `kasa/transports/aestransport.py` is the public account:
 *
 * 1. handshake: `POST /app` `{"method":"handshake","params":{"key":"<RSA public key PEM>"}}`; the
 *    plug answers the session key and IV encrypted to that key, and sets `TP_SESSIONID` (some
 *    firmware: `SESSIONID`) and `TIMEOUT`;
 * 2. login: `login_device` through the passthrough, answered with a token;
 * 3. requests: the passthrough to `/app?token=<token>`.
 *
 * The accounts tried at login are the configured one (or the blank one), then the default Tapo
 * account (`credentials.ts`); the login generation is discovery's `lv` when known, else 2 then 1.
 * After a rejected login the plug wants a new handshake (python-kasa: "after a login failure
 * handshake needs to be redone or a 9999 error is received"), so each attempt starts with one.
 * No account accepted: `PLUG_AUTH` with a back-off (`auth-backoff.ts`).
 *
 * A session error in the envelope (`9999` session timeout, `-40401` expired, …;
 * `protocol/smart-errors.ts`) makes the transport handshake, log in and resend once, within the
 * same deadline; so does the `TIMEOUT` cookie's life running out (with the margin of `klap.ts`).
 * A reply that does not decrypt ends the session and fails with `PLUG_BAD_REPLY`.
 */
import type { Clock } from '../../clock.js';
import { PlugError, PlugErrorCode } from '../../errors.js';
import { isObject, parseJsonObject, type Json } from '../protocol/json.js';
import { smartError, smartErrorKind } from '../protocol/smart-errors.js';
import { authError } from './auth-backoff.js';
import {
  AesSession,
  loginParams,
  sharedRsaKeyPair,
  type LoginVersion,
  type RsaKeyPair,
} from './aes-cipher.js';
import { accountsToTry, TAPO_SETUP_ACCOUNT, type Credentials } from './credentials.js';
import type { HttpReply } from './http.js';
import { timeLeft } from './deadline.js';
import { HttpSessionHolder, httpStatusError, renewAt, sessionCookie } from './http-session.js';
import type { PlugAddress, RequestOptions, Transport } from './transport.js';

/** Headers python-kasa sends with every AES request (`AesTransport.COMMON_HEADERS`). */
const HEADERS = {
  'Content-Type': 'application/json',
  requestByApp: 'true',
  Accept: 'application/json',
};

/** How to build an {@link AesTransport}. */
export interface AesOptions {
  /** The configured TP-Link account; absent: the blank and default Tapo accounts. */
  account?: Credentials;
  /** Discovery's `lv` when known; absent: 2, then 1. */
  loginVersion?: LoginVersion;
  /** Session expiry and back-off (monotonic); `request_time_milis` (wall). */
  clock?: Clock;
  /** The RSA key pair; default one per process ({@link sharedRsaKeyPair}). */
  keyPair?: () => Promise<RsaKeyPair>;
}

interface Session {
  cipher: AesSession;
  cookie: string | undefined;
  token: string;
  renewAt: number;
}

/** An AES connection to one plug. Constructor assigns; the first request handshakes. */
export class AesTransport implements Transport {
  /** `host:port`, for messages. */
  readonly target: string;
  readonly kind = 'aes';
  readonly #link: HttpSessionHolder<Session>;
  readonly #accounts: Credentials[];
  #loginVersion: LoginVersion | undefined;
  #handshakes = 0;

  /**
   * @param address the plug's HTTP address (port 80 on real plugs; discovery's `http_port`)
   * @param options account, login generation, clock, key pair
   */
  constructor(
    readonly address: PlugAddress,
    private readonly options: AesOptions = {},
  ) {
    this.#link = new HttpSessionHolder<Session>(address, options.clock, (timeoutMs) =>
      this.#login(timeoutMs),
    );
    this.target = this.#link.target;
    this.#accounts = accountsToTry(options.account, TAPO_SETUP_ACCOUNT);
    this.#loginVersion = options.loginVersion;
  }

  /** Handshakes done so far (one per session, plus one per rejected login). */
  get handshakes(): number {
    return this.#handshakes;
  }

  /**
   * Sends one request through the passthrough and resolves with the decrypted inner reply (the
   * {@link Transport} contract); handshakes and logs in first when there is no live session.
   * @param json the inner request JSON text (a SMART request)
   * @param opts the deadline for everything, handshake and login included
   * @returns the inner reply plaintext (UTF-8 JSON)
   * @throws PlugError PLUG_AUTH, PLUG_TIMEOUT, PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_CLOSED,
   *   PLUG_BAD_JSON / PLUG_BAD_REPLY (not an AES plug, an envelope that does not decrypt),
   *   PLUG_DEVICE_ERROR (an envelope `error_code`, an HTTP error status)
   */
  async request(json: string, opts: RequestOptions): Promise<Buffer> {
    const left = this.#link.begin(opts.timeoutMs);
    for (let attempt = 0; ; attempt++) {
      const session = await this.#link.live(left());
      const outer = await this.#passthrough(session, `/app?token=${session.token}`, json, left());
      const code = outer['error_code'];
      if (code !== 0) {
        this.#link.drop();
        if (typeof code === 'number' && smartErrorKind(code) === 'session' && attempt === 0)
          continue;
        throw smartError(this.target, code, 'securePassthrough');
      }
      return this.#open(session, outer);
    }
  }

  /** Drops the session and the connection; the next request handshakes. Safe to call twice. */
  close(): void {
    this.#link.close();
  }

  /** Handshake + login, trying each account (and login generation) with a fresh handshake. */
  async #login(timeoutMs: number): Promise<Session> {
    const left = timeLeft(this.#link.clock, timeoutMs);
    const versions: LoginVersion[] =
      this.#loginVersion === undefined ? [2, 1] : [this.#loginVersion];
    for (const account of this.#accounts) {
      for (const version of versions) {
        const session = await this.#handshake(left());
        const request = JSON.stringify({
          method: 'login_device',
          params: loginParams(version, account),
          request_time_milis: this.#link.clock.now(),
        });
        const outer = await this.#passthrough(session, '/app', request, left());
        const outerCode = outer['error_code'];
        const inner = outerCode === 0 ? this.#parseInner(this.#open(session, outer)) : outer;
        const code = inner['error_code'];
        if (code === 0) {
          const result = inner['result'];
          const token = isObject(result) ? result['token'] : undefined;
          if (typeof token !== 'string' || token === '' || /[^A-Za-z0-9_\-.]/.test(token)) {
            throw new PlugError(
              PlugErrorCode.BAD_REPLY,
              this.target,
              'login_device answered without a usable token',
            );
          }
          this.#loginVersion = version;
          this.#link.backoff.succeed();
          return { ...session, token };
        }
        if (typeof code !== 'number' || smartErrorKind(code) !== 'auth') {
          throw smartError(this.target, code, 'login_device');
        }
      }
    }
    this.close();
    throw this.#link.backoff.fail(authError(this.target, this.options.account?.keys, 'AES'));
  }

  async #handshake(timeoutMs: number): Promise<Omit<Session, 'token'>> {
    const started = this.#link.clock.monotonic();
    const keys = await (this.options.keyPair ?? sharedRsaKeyPair)();
    const body = Buffer.from(
      JSON.stringify({ method: 'handshake', params: { key: keys.publicPem } }),
      'utf8',
    );
    const reply = await this.#link.http.post('/app', body, { timeoutMs, headers: HEADERS });
    const outer = this.#parseOuter(reply, 'handshake');
    if (outer['error_code'] !== 0) throw smartError(this.target, outer['error_code'], 'handshake');
    const result = outer['result'];
    const key = isObject(result) ? result['key'] : undefined;
    if (typeof key !== 'string') {
      throw new PlugError(PlugErrorCode.BAD_REPLY, this.target, 'handshake answered without key');
    }
    let cipher: AesSession;
    try {
      cipher = AesSession.fromSecret(keys.decrypt(Buffer.from(key, 'base64')));
    } catch (err) {
      throw new PlugError(
        PlugErrorCode.BAD_REPLY,
        this.target,
        `handshake key cannot be decrypted (${(err as Error).message})`,
        err,
      );
    }
    const id = reply.cookies['TP_SESSIONID'] ?? reply.cookies['SESSIONID'];
    this.#handshakes++;
    return {
      cipher,
      cookie: sessionCookie(id),
      renewAt: renewAt(started, reply.cookies),
    };
  }

  async #passthrough(
    session: Omit<Session, 'token'>,
    path: string,
    inner: string,
    timeoutMs: number,
  ): Promise<Json> {
    const body = Buffer.from(
      JSON.stringify({
        method: 'securePassthrough',
        params: { request: session.cipher.encrypt(inner) },
      }),
      'utf8',
    );
    const reply = await this.#link.http.post(path, body, {
      timeoutMs,
      headers: HEADERS,
      cookie: session.cookie,
    });
    return this.#parseOuter(reply, 'securePassthrough');
  }

  /** Decrypts a passthrough answer's `result.response`. */
  #open(session: Omit<Session, 'token'>, outer: Json): Buffer {
    const result = outer['result'];
    const response = isObject(result) ? result['response'] : undefined;
    if (typeof response !== 'string') {
      this.#link.drop();
      throw new PlugError(
        PlugErrorCode.BAD_REPLY,
        this.target,
        'securePassthrough answered without result.response',
      );
    }
    try {
      return session.cipher.decrypt(response);
    } catch (err) {
      this.#link.drop();
      throw new PlugError(
        PlugErrorCode.BAD_REPLY,
        this.target,
        `AES reply cannot be decrypted (${(err as Error).message}); the session is dropped`,
        err,
      );
    }
  }

  #parseOuter(reply: HttpReply, what: string): Json {
    if (reply.status !== 200) {
      this.#link.drop();
      throw httpStatusError(this.target, `AES ${what}`, reply.status);
    }
    return this.#parseInner(reply.body, what);
  }

  #parseInner(body: Buffer, what = 'login_device'): Json {
    return parseJsonObject(body, this.target, `AES ${what} reply`);
  }
}
