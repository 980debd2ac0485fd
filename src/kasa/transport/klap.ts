/**
 * The KLAP transport: JSON encrypted and signed per request (`klap-cipher.ts`) over HTTP on port
 * 80 (`http.ts`, kept alive), behind the {@link Transport} contract. python-kasa's
 * `kasa/transports/klaptransport.py` is the public account of the exchange:
 *
 * 1. `POST /app/handshake1` with a random 16-byte seed; the plug answers its own seed and a proof
 *    made with the account hash it stores, and sets the `TP_SESSIONID` cookie (and `TIMEOUT`, the
 *    session's life in seconds). The proof tells which account the plug holds: the configured one,
 *    the default setup account or the blank one (`credentials.ts`), and which KLAP generation it
 *    speaks (v1: IOT devices, v2: SMART devices). None matches: `PLUG_AUTH`, with a back-off.
 * 2. `POST /app/handshake2` with the client's proof and the cookie.
 * 3. `POST /app/request?seq=N` per request, with the cookie.
 *
 * The session is handshaken again, within the request's deadline: when the plug answers 403 (it
 * dropped the session: reboot, its own expiry), when the `TIMEOUT` cookie's life is nearly over
 * (python-kasa keeps a 20-minute margin; here the margin is 20 minutes or a quarter of the
 * life, whichever is less), and before the sequence number would overflow. A reply whose
 * signature does not match or that does not decrypt ends the session and fails with
 * `PLUG_BAD_REPLY`; the next request handshakes afresh.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { PlugError, PlugErrorCode } from '../../errors.js';
import { authError } from './auth-backoff.js';
import { accountsToTry, KASA_SETUP_ACCOUNT, type Credentials } from './credentials.js';
import { timeLeft } from './deadline.js';
import { HttpSessionHolder, httpStatusError, renewAt, sessionCookie } from './http-session.js';
import {
  authHash,
  clientProof,
  deviceProof,
  KlapReplyError,
  KlapSession,
  type KlapVersion,
} from './klap-cipher.js';
import type { PlugAddress, RequestOptions, Transport } from './transport.js';

/** How to build a {@link KlapTransport}. */
export interface KlapOptions {
  /** The configured TP-Link account; absent: only the default and blank accounts are tried. */
  account?: Credentials;
  /** The KLAP generation when known (discovery); absent: learned from the handshake1 proof. */
  version?: KlapVersion;
  /** Session expiry and the auth back-off (monotonic). */
  clock?: Clock;
  /** Source of the 16-byte local seeds (tests); default `crypto.randomBytes`. */
  seed?: () => Buffer;
}

interface Session {
  cipher: KlapSession;
  cookie: string | undefined;
  /** Monotonic ms after which the session is renewed before use. */
  renewAt: number;
}

/** A KLAP connection to one plug. Constructor assigns; the first request handshakes. */
export class KlapTransport implements Transport {
  /** `host:port`, for messages. */
  readonly target: string;
  readonly kind = 'klap';
  readonly #link: HttpSessionHolder<Session>;
  readonly #accounts: Credentials[];
  #version: KlapVersion | undefined;
  /** Account hashes by `version:index`, computed once. */
  readonly #hashes = new Map<string, Buffer>();
  #handshakes = 0;

  /**
   * @param address the plug's HTTP address (port 80 on real plugs; discovery's `http_port`)
   * @param options the account, the generation if known, the clock
   */
  constructor(
    readonly address: PlugAddress,
    private readonly options: KlapOptions = {},
  ) {
    this.#link = new HttpSessionHolder<Session>(
      address,
      options.clock,
      (timeoutMs) => this.#handshake(timeoutMs),
      (session) => session.cipher.usable,
    );
    this.target = this.#link.target;
    this.#accounts = accountsToTry(options.account, KASA_SETUP_ACCOUNT);
    this.#version = options.version;
  }

  /** The KLAP generation: known from the options or learned at the first handshake. */
  get version(): KlapVersion | undefined {
    return this.#version;
  }

  /** Handshakes done so far (one per session). */
  get handshakes(): number {
    return this.#handshakes;
  }

  /**
   * Sends one request and resolves with the plug's decrypted reply (the {@link Transport}
   * contract); handshakes first when there is no live session.
   * @param json the request JSON text
   * @param opts the deadline for everything, handshake included
   * @returns the reply plaintext (UTF-8 JSON)
   * @throws PlugError PLUG_AUTH (no account accepted, or still backing off), PLUG_TIMEOUT,
   *   PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_CLOSED, PLUG_BAD_REPLY (bad signature, not
   *   decryptable, not a KLAP plug), PLUG_DEVICE_ERROR (an HTTP error status)
   */
  async request(json: string, opts: RequestOptions): Promise<Buffer> {
    const left = this.#link.begin(opts.timeoutMs);
    for (let attempt = 0; ; attempt++) {
      const session = await this.#link.live(left());
      const { body, seq } = session.cipher.encrypt(json);
      const reply = await this.#link.http.post(`/app/request?seq=${seq}`, body, {
        timeoutMs: left(),
        cookie: session.cookie,
      });
      if (reply.status === 403 && attempt === 0) {
        // The plug no longer knows the session: handshake again and resend, once.
        this.#link.drop();
        continue;
      }
      if (reply.status !== 200) {
        this.#link.drop();
        const after = attempt > 0 ? ' after a fresh handshake' : '';
        throw httpStatusError(this.target, 'KLAP request', reply.status, after);
      }
      try {
        return session.cipher.decrypt(reply.body, seq);
      } catch (err) {
        this.#link.drop();
        if (!(err instanceof KlapReplyError)) throw err;
        throw new PlugError(
          PlugErrorCode.BAD_REPLY,
          this.target,
          `KLAP reply refused: ${err.message}; the session is dropped`,
          err,
        );
      }
    }
  }

  /**
   * Runs the handshake now unless a live session exists (used to learn the KLAP generation,
   * hence the protocol, before the first request).
   * @returns the KLAP generation the plug speaks
   * @throws PlugError as {@link request}
   */
  async handshake(timeoutMs: number): Promise<KlapVersion> {
    this.#link.backoff.check();
    await this.#link.live(timeoutMs);
    return this.#version as KlapVersion;
  }

  /** Drops the session and the connection; the next request handshakes. Safe to call twice. */
  close(): void {
    this.#link.close();
  }

  async #handshake(timeoutMs: number): Promise<Session> {
    const started = this.#link.clock.monotonic();
    const left = timeLeft(this.#link.clock, timeoutMs);
    const local = this.options.seed?.() ?? randomBytes(16);
    const h1 = await this.#link.http.post('/app/handshake1', local, { timeoutMs: left() });
    if (h1.status !== 200 || h1.body.length !== 48) {
      throw new PlugError(
        PlugErrorCode.BAD_REPLY,
        this.target,
        `not a KLAP plug: handshake1 answered HTTP ${h1.status} with ${h1.body.length} bytes (expected 200 and 48)`,
      );
    }
    const remote = h1.body.subarray(0, 16);
    const proof = h1.body.subarray(16, 48);
    const match = this.#match(local, remote, proof);
    if (match === undefined) {
      this.close();
      throw this.#link.backoff.fail(authError(this.target, this.options.account?.keys, 'KLAP'));
    }
    const sessionId = h1.cookies['TP_SESSIONID'];
    const cookie = sessionCookie(sessionId);
    const h2 = await this.#link.http.post(
      '/app/handshake2',
      clientProof(match.version, local, remote, match.hash),
      { timeoutMs: left(), cookie },
    );
    if (h2.status !== 200) {
      throw httpStatusError(this.target, 'KLAP handshake2', h2.status);
    }
    this.#version = match.version;
    this.#link.backoff.succeed();
    this.#handshakes++;
    return {
      cipher: new KlapSession(local, remote, match.hash),
      cookie,
      renewAt: renewAt(started, h1.cookies),
    };
  }

  /** Which account and generation made the plug's proof, if any. */
  #match(
    local: Buffer,
    remote: Buffer,
    proof: Buffer,
  ): { version: KlapVersion; hash: Buffer } | undefined {
    const versions: KlapVersion[] = this.#version === undefined ? [2, 1] : [this.#version];
    for (const [i, account] of this.#accounts.entries()) {
      for (const version of versions) {
        const key = `${version}:${i}`;
        let hash = this.#hashes.get(key);
        if (hash === undefined) {
          hash = authHash(version, account);
          this.#hashes.set(key, hash);
        }
        if (deviceProof(version, local, remote, hash).equals(proof)) return { version, hash };
      }
    }
    return undefined;
  }
}
