/**
 * The HTTP exchange under the KLAP and AES transports: one `POST` at a time to one plug, on one
 * kept-alive TCP connection (idle socket unref'd so it never keeps the process alive), within a
 * deadline, the reply body capped. The plug's cookies (`TP_SESSIONID`, `TIMEOUT`) are returned
 * parsed; sending them back is the caller's business.
 *
 * HTTP/1.1 is framed here (`http-wire.ts`) rather than through `node:http`: a request leaves in
 * ONE write and the reply is parsed as it arrives, which halves the CPU a KLAP or AES poll spends
 * outside its cryptography (measured with `npm run bench:transports`), and keeps the plug's
 * requests as small and regular as the XOR transport's. Content-Length, chunked and
 * read-to-close bodies are all understood; `Connection: close` is honoured.
 *
 * A kept-alive connection the plug closed while idle costs no failed request: when a reused
 * connection fails before any reply byte, the request is sent once more on a fresh connection
 * within the same deadline. Every request either side sends is a read or sets a state, so a
 * repeat is harmless; KLAP's sequence number is re-sent unchanged.
 */
import net from 'node:net';
import { systemClock } from '../../clock.js';
import { PlugError, PlugErrorCode } from '../../errors.js';
import { encodeRequest, HttpWireError, ReplyParser, type ReplyHead } from './http-wire.js';
import { classifySocketError } from './socket-error.js';
import type { PlugAddress } from './transport.js';

/** Largest reply body accepted, bytes (a strip's child list is some 20 KiB). */
export const MAX_HTTP_REPLY_BYTES = 256 * 1024;

/** What came back. */
export interface HttpReply {
  /** HTTP status code. */
  status: number;
  body: Buffer;
  /** `Set-Cookie` pairs, name → value, every `name=value` part of every header (attributes too). */
  cookies: Record<string, string>;
}

/** One request's options. */
export interface PostOptions {
  /** Deadline for connect + request + whole reply, ms. */
  timeoutMs: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Sent as `Cookie`, e.g. `TP_SESSIONID=…`. */
  cookie?: string;
  /** Reply body cap, bytes; default {@link MAX_HTTP_REPLY_BYTES}. */
  maxBytes?: number;
}

const STANDARD_ATTRIBUTES = new Set([
  'path',
  'domain',
  'expires',
  'max-age',
  'secure',
  'httponly',
  'samesite',
]);

/**
 * Parses `Set-Cookie` headers as the plugs send them: `TP_SESSIONID=ABC;TIMEOUT=86400` holds two
 * values (python-kasa reads `TIMEOUT` as a cookie of its own). Standard attributes are skipped.
 * @param headers the `set-cookie` header values
 */
export function parseCookies(headers: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of headers ?? []) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      if (name === '' || STANDARD_ATTRIBUTES.has(name.toLowerCase())) continue;
      out[name] = part.slice(eq + 1).trim();
    }
  }
  return out;
}

/** A kept-alive HTTP connection to one plug. Constructor assigns; the first request connects. */
export class HttpClient {
  /** `host:port`, for messages. */
  readonly target: string;
  readonly #hostHeader: string;
  #socket: net.Socket | undefined;
  /** The socket has completed an exchange (so a close on it may just be staleness). */
  #reused = false;
  #busy = false;

  /** @param address the plug's HTTP address (port 80 on real plugs) */
  constructor(readonly address: PlugAddress) {
    this.target = `${address.host}:${address.port}`;
    const h = address.host.includes(':') ? `[${address.host}]` : address.host;
    this.#hostHeader = address.port === 80 ? h : `${h}:${address.port}`;
  }

  /**
   * Posts `body` to `path` and resolves with the whole reply, whatever its status.
   * @param path e.g. `/app/handshake1`, `/app/request?seq=5`
   * @param body the request body
   * @param opts deadline, headers, cookie, reply cap
   * @throws PlugError PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_TIMEOUT (`timeoutMs` passed),
   *   PLUG_CLOSED (connection lost), PLUG_BAD_LENGTH (reply above the cap), PLUG_BAD_REPLY
   *   (not HTTP)
   * @throws Error when called while a request is in flight (the caller's bug)
   */
  async post(path: string, body: Uint8Array, opts: PostOptions): Promise<HttpReply> {
    if (this.#busy)
      throw new Error(`HttpClient ${this.target}: request while another is in flight`);
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.cookie !== undefined) headers['Cookie'] = opts.cookie;
    const request = encodeRequest(this.#hostHeader, path, headers, body);
    const deadline = systemClock.monotonic() + opts.timeoutMs;
    this.#busy = true;
    try {
      try {
        return await this.#once(request, path, opts, opts.timeoutMs);
      } catch (err) {
        if (!(err instanceof StaleSocket)) throw err;
        const left = Math.floor(deadline - systemClock.monotonic());
        if (left <= 0) throw err.error;
        try {
          return await this.#once(request, path, opts, left);
        } catch (again) {
          throw again instanceof StaleSocket ? again.error : again;
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Destroys the connection; a request in flight fails. Safe to call twice. */
  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#reused = false;
    socket?.destroy();
  }

  #once(request: Buffer, path: string, opts: PostOptions, timeoutMs: number): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      const parser = new ReplyParser(opts.maxBytes ?? MAX_HTTP_REPLY_BYTES);
      const reused = this.#socket !== undefined && this.#reused;
      let socket = this.#socket;
      let got = 0;
      let done = false;
      const finish = (err: Error | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket?.off('data', onData).off('error', onError).off('close', onClose);
        if (err !== undefined) {
          if (socket === this.#socket) this.close();
          reject(err);
          return;
        }
        const head = parser.head as ReplyHead;
        if (parser.close) this.close();
        else {
          this.#reused = true;
          socket?.unref();
        }
        resolve({
          status: head.status,
          body: parser.body as Buffer,
          cookies: parseCookies(head.headers.get('set-cookie')),
        });
      };
      const onData = (chunk: Buffer): void => {
        got += chunk.length;
        try {
          if (parser.feed(chunk)) finish(undefined);
        } catch (err) {
          const code =
            err instanceof HttpWireError && /larger than/.test(err.message)
              ? PlugErrorCode.BAD_LENGTH
              : PlugErrorCode.BAD_REPLY;
          finish(
            new PlugError(code, this.target, `HTTP reply refused: ${(err as Error).message}`, err),
          );
        }
      };
      const onError = (err: NodeJS.ErrnoException): void => {
        const classified = classifySocketError(this.target, err);
        finish(
          reused && got === 0 && classified.code === PlugErrorCode.CLOSED
            ? new StaleSocket(classified)
            : classified,
        );
      };
      const onClose = (): void => {
        if (parser.end()) {
          finish(undefined);
          return;
        }
        const lost = new PlugError(
          PlugErrorCode.CLOSED,
          this.target,
          `plug closed the connection ${got === 0 ? 'before replying' : `after ${got} reply bytes`}`,
        );
        finish(reused && got === 0 ? new StaleSocket(lost) : lost);
      };
      const timer = setTimeout(() => {
        finish(
          new PlugError(
            PlugErrorCode.TIMEOUT,
            this.target,
            `no complete HTTP reply within ${timeoutMs} ms (POST ${path.replace(/\?.*/, '')})`,
          ),
        );
      }, timeoutMs);
      if (socket === undefined) {
        socket = net.connect({ host: this.address.host, port: this.address.port });
        socket.setNoDelay(true);
        this.#socket = socket;
        this.#reused = false;
        // Bytes while idle are nobody's reply: drop the connection rather than misread them.
        const own = socket;
        own.on('data', () => {
          if (!this.#busy && own === this.#socket) this.close();
        });
        own.on('error', () => undefined);
        own.once('connect', () => own.write(request));
      } else {
        socket.ref();
        socket.write(request);
      }
      socket.on('data', onData).on('error', onError).on('close', onClose);
    });
  }
}

/** A kept-alive connection failed before any reply byte: worth one retry. */
class StaleSocket extends Error {
  /** @param error what to report if the retry fails the same way */
  constructor(readonly error: PlugError) {
    super(error.message);
  }
}
