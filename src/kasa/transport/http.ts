/**
 * The HTTP exchange under the KLAP and AES transports: one `POST` at a time to one plug, on a
 * kept-alive connection (Node's `http.Agent`, at most one socket, idle socket unref'd so it never
 * keeps the process alive), within a deadline, the reply body capped. The plug's cookies
 * (`TP_SESSIONID`, `TIMEOUT`) are returned parsed; sending them back is the caller's business.
 *
 * A kept-alive socket the plug closed while idle costs no failed request: when a reused socket
 * fails before any reply byte (`ECONNRESET`, "socket hang up"), the request is sent once more on
 * a fresh connection within the same deadline (the retry Node's `http` documentation recommends
 * with `request.reusedSocket`). Every request either side sends is a read or sets a state, so a
 * repeat is harmless; KLAP's sequence number is re-sent unchanged.
 */
import http from 'node:http';
import { systemClock } from '../../clock.js';
import { PlugError, PlugErrorCode } from '../../errors.js';
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
  #agent: http.Agent | undefined;

  /** @param address the plug's HTTP address (port 80 on real plugs) */
  constructor(readonly address: PlugAddress) {
    this.target = `${address.host}:${address.port}`;
  }

  /**
   * Posts `body` to `path` and resolves with the whole reply, whatever its status.
   * @param path e.g. `/app/handshake1`, `/app/request?seq=5`
   * @param body the request body
   * @param opts deadline, headers, cookie, reply cap
   * @throws PlugError PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_TIMEOUT (`timeoutMs` passed),
   *   PLUG_CLOSED (connection lost), PLUG_BAD_LENGTH (reply above the cap)
   */
  async post(path: string, body: Uint8Array, opts: PostOptions): Promise<HttpReply> {
    const deadline = systemClock.monotonic() + opts.timeoutMs;
    try {
      return await this.#once(path, body, opts, opts.timeoutMs);
    } catch (err) {
      const retry = err instanceof StaleSocket;
      if (!retry) throw err;
      const left = deadline - systemClock.monotonic();
      if (left <= 0) throw new PlugError(PlugErrorCode.TIMEOUT, this.target, 'no reply in time');
      return this.#once(path, body, opts, left);
    }
  }

  /** Destroys the connection; a request in flight fails. Safe to call twice. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  #once(path: string, body: Uint8Array, opts: PostOptions, timeoutMs: number): Promise<HttpReply> {
    this.#agent ??= new http.Agent({ keepAlive: true, maxSockets: 1, scheduling: 'lifo' });
    const max = opts.maxBytes ?? MAX_HTTP_REPLY_BYTES;
    return new Promise<HttpReply>((resolve, reject) => {
      let settled = false;
      let gotReply = false;
      const headers: Record<string, string | number> = {
        ...opts.headers,
        'Content-Length': body.length,
      };
      if (opts.cookie !== undefined) headers['Cookie'] = opts.cookie;
      const req = http.request({
        host: this.address.host,
        port: this.address.port,
        method: 'POST',
        path,
        agent: this.#agent,
        headers,
      });
      const finish = (err: Error | undefined, reply?: HttpReply): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err !== undefined) {
          req.destroy();
          reject(err);
        } else resolve(reply as HttpReply);
      };
      const timer = setTimeout(() => {
        finish(
          new PlugError(
            PlugErrorCode.TIMEOUT,
            this.target,
            `no complete HTTP reply within ${timeoutMs} ms (POST ${path.replace(/\?.*/, '')})`,
          ),
        );
        // A request cut off mid-way leaves the socket in an unknown state.
        this.close();
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!gotReply && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          finish(new StaleSocket());
          return;
        }
        finish(classifySocketError(this.target, err));
      });
      req.on('response', (res) => {
        gotReply = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > max) {
            this.close();
            finish(
              new PlugError(
                PlugErrorCode.BAD_LENGTH,
                this.target,
                `HTTP reply larger than ${max} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) =>
          finish(classifySocketError(this.target, err)),
        );
        res.on('aborted', () =>
          finish(new PlugError(PlugErrorCode.CLOSED, this.target, 'plug closed mid-reply')),
        );
        res.on('end', () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks, size),
            cookies: parseCookies(res.headers['set-cookie']),
          }),
        );
      });
      req.end(body);
    });
  }
}

/** A reused kept-alive socket failed before any reply byte: worth one retry. */
class StaleSocket extends Error {}
