/**
 * A simulated plug's HTTP side: a loopback HTTP server speaking KLAP (`klap-server.ts`) or AES
 * (`aes-server.ts`), handing each decrypted request to a dispatcher (the SMART one,
 * `smart-answer.ts`, or the IOT one, `answer.ts`, for an IOT plug on KLAP such as the HS100
 * hw 4.1), with fault knobs, and optionally answering discovery on UDP (`tdp-responder.ts`).
 */
import http from 'node:http';
import { systemClock } from '../clock.js';
import type { AddressInfo, Socket } from 'node:net';
import { isLoopbackAddress } from '../kasa/transport/udp.js';
import type { Credentials } from '../kasa/transport/credentials.js';
import type { KlapVersion } from '../kasa/transport/klap-cipher.js';
import type { LoginVersion } from '../kasa/transport/aes-cipher.js';
import { AesServer } from './aes-server.js';
import { KlapServer, type ServerReply } from './klap-server.js';

/** Fault knobs of an HTTP plug; all off when absent. */
export interface HttpFaults {
  /** Never answer handshake1 (KLAP) or the handshake (AES): a plug hung mid-handshake. */
  hangHandshake?: boolean;
  /** Never answer any request. */
  hang?: boolean;
  /** Corrupt the signature of KLAP replies. */
  badSignature?: boolean;
  /** Wait this long before each answer, ms. */
  delayMs?: number;
}

/** How to build a {@link SimulatedHttpPlug}. */
export interface HttpPlugOptions {
  transport: 'klap' | 'aes';
  /** KLAP generation: 1 for an IOT plug, 2 for a SMART one. Default 2. */
  klapVersion?: KlapVersion;
  /** AES login generation. Default 2. */
  loginVersion?: LoginVersion;
  /** The account the plug is bound to; default the blank account (never bound). */
  account?: Credentials;
  /** Session life (the `TIMEOUT` cookie), s; default 86400. */
  sessionS?: number;
  /** Answers a decrypted request (JSON text) with the reply's JSON text. */
  dispatch: (json: string) => string;
  /** Loopback address to bind; default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** ms clock for session expiry; default the system clock. */
  now?: () => number;
}

const MAX_BODY = 64 * 1024;

/** A plug's HTTP server. The constructor only assigns; `start()` binds. */
export class SimulatedHttpPlug {
  /** Every decrypted request, parsed when JSON, oldest first. */
  readonly received: unknown[] = [];
  /** Fault knobs in force (set them directly). */
  faults: HttpFaults = {};
  /** HTTP requests received (handshakes included). */
  requests = 0;
  readonly #klap: KlapServer | undefined;
  readonly #aes: AesServer | undefined;
  readonly #sockets = new Set<Socket>();
  #server: http.Server | undefined;
  #port = 0;

  /** @param options transport, generations, account, dispatcher, address */
  constructor(private readonly options: HttpPlugOptions) {
    const common = {
      account: options.account ?? { username: '', password: '' },
      sessionS: options.sessionS ?? 86_400,
      now: options.now ?? systemClock.now,
    };
    if (options.transport === 'klap') {
      this.#klap = new KlapServer({ ...common, version: options.klapVersion ?? 2 });
    } else {
      this.#aes = new AesServer({ ...common, loginVersion: options.loginVersion ?? 2 });
    }
  }

  /** The bound address. */
  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }
  /** The bound port; 0 before `start()`. */
  get port(): number {
    return this.#port;
  }
  /** Handshakes completed so far (KLAP handshake2, AES handshake). */
  get handshakes(): number {
    return this.#klap?.handshakes ?? this.#aes?.handshakes ?? 0;
  }

  /** Forgets every session, as a plug that rebooted or expired them: KLAP 403, AES 9999. */
  expireSessions(): void {
    this.#klap?.expireAll();
    this.#aes?.expireAll();
  }

  /**
   * Binds the loopback HTTP port.
   * @returns the port
   * @throws Error when `host` is not loopback or the bind fails
   */
  async start(): Promise<number> {
    if (this.#server !== undefined) return this.#port;
    if (!isLoopbackAddress(this.host))
      throw new Error(`SimulatedHttpPlug binds loopback only, not ${this.host}`);
    const server = http.createServer((req, res) => this.#onRequest(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.#port || (this.options.port ?? 0) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  /** Stops listening and destroys open connections. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      this.requests++;
      const url = new URL(req.url ?? '/', 'http://plug');
      const body = Buffer.concat(chunks);
      const faults = this.faults;
      const handshake =
        url.pathname === '/app/handshake1' ||
        (this.#aes !== undefined && body.includes('"handshake"'));
      if (faults.hang || (faults.hangHandshake && handshake)) return;
      const reply = this.#route(req, url, body);
      const send = (): void => {
        const headers: Record<string, string | number> = { 'Content-Length': reply.body.length };
        if (reply.setCookie !== undefined) headers['Set-Cookie'] = reply.setCookie;
        if (this.#aes !== undefined) headers['Content-Type'] = 'application/json;charset=UTF-8';
        res.writeHead(reply.status, headers);
        res.end(reply.body);
      };
      if (faults.delayMs !== undefined && faults.delayMs > 0) setTimeout(send, faults.delayMs);
      else send();
    });
  }

  #route(req: http.IncomingMessage, url: URL, body: Buffer): ServerReply {
    if (req.method !== 'POST') return { status: 405, body: Buffer.alloc(0) };
    const cookie = /(?:^|;\s*)TP_SESSIONID=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const dispatch = (json: string): string => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        parsed = json;
      }
      this.received.push(parsed);
      return this.options.dispatch(json);
    };
    if (this.#klap !== undefined) {
      this.#klap.badSignature = this.faults.badSignature === true;
      return this.#klap.handle(url.pathname, url.searchParams, body, cookie, dispatch);
    }
    if (url.pathname !== '/app') return { status: 404, body: Buffer.alloc(0) };
    return (this.#aes as AesServer).handle(url.searchParams, body, cookie, dispatch);
  }
}
