/**
 * HTTP/1.1 framing for the plugs' HTTP transports, as pure functions: one request serialized into
 * ONE buffer (so it leaves in one write), and an incremental reply parser for what the plugs
 * send: a status line, headers, and a body framed by `Content-Length`, by
 * `Transfer-Encoding: chunked`, or by the connection's end (RFC 9112 §6.3).
 */

/** A parsed reply head. */
export interface ReplyHead {
  status: number;
  /** Header values by lower-case name; repeated headers (`set-cookie`) keep every value. */
  headers: Map<string, string[]>;
}

/**
 * One POST request, head and body in one buffer.
 * @param host `Host` header value
 * @param path request target
 * @param headers extra headers
 * @param body the body
 */
export function encodeRequest(
  host: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Buffer {
  let head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new RangeError(`header ${k} has a line break`);
    head += `${k}: ${v}\r\n`;
  }
  head += '\r\n';
  const out = Buffer.allocUnsafe(Buffer.byteLength(head, 'latin1') + body.length);
  const n = out.write(head, 0, 'latin1');
  out.set(body, n);
  return out;
}

/** Thrown by {@link ReplyParser} on a reply that is not HTTP/1.x as the parser knows it. */
export class HttpWireError extends Error {
  override readonly name = 'HttpWireError';
}

const MAX_HEAD = 16 * 1024;

/**
 * Parses one reply from the bytes of a connection, fed as they arrive.
 * `feed()` returns true once the reply is complete (`head` and `body` are then set); the bytes
 * of the next reply, if any, are an error (one request at a time).
 */
export class ReplyParser {
  head: ReplyHead | undefined;
  body: Buffer | undefined;
  /** The connection must be closed after this reply (`Connection: close`, or body to EOF). */
  close = false;
  #buf: Buffer = Buffer.alloc(0);
  #length = -1;
  #chunked = false;
  #toEof = false;
  readonly #parts: Buffer[] = [];
  #size = 0;

  /** @param maxBody body cap, bytes */
  constructor(private readonly maxBody: number) {}

  /**
   * @param data the next bytes
   * @returns true when the reply is complete
   * @throws HttpWireError on a malformed head, a body above the cap, or bytes past the reply
   */
  feed(data: Buffer): boolean {
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    if (this.head === undefined && !this.#parseHead()) return false;
    return this.#parseBody();
  }

  /** The connection ended: completes a body read to EOF. */
  end(): boolean {
    if (this.head !== undefined && this.#toEof && this.body === undefined) {
      this.body = Buffer.concat(this.#parts, this.#size);
      return true;
    }
    return false;
  }

  #parseHead(): boolean {
    const end = this.#buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.#buf.length > MAX_HEAD) throw new HttpWireError('reply head too large');
      return false;
    }
    const lines = this.#buf.subarray(0, end).toString('latin1').split('\r\n');
    this.#buf = this.#buf.subarray(end + 4);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (m === null)
      throw new HttpWireError(
        `not an HTTP reply: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`,
      );
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const k = line.slice(0, colon).trim().toLowerCase();
      const list = headers.get(k) ?? [];
      list.push(line.slice(colon + 1).trim());
      headers.set(k, list);
    }
    this.head = { status: Number(m[1]), headers };
    const te = (headers.get('transfer-encoding') ?? []).join(',').toLowerCase();
    const cl = headers.get('content-length')?.[0];
    this.close = (headers.get('connection') ?? []).some((v) => v.toLowerCase() === 'close');
    if (te.includes('chunked')) this.#chunked = true;
    else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new HttpWireError(`bad Content-Length ${JSON.stringify(cl)}`);
      this.#length = Number(cl);
      if (this.#length > this.maxBody)
        throw new HttpWireError(`reply larger than ${this.maxBody} bytes`);
    } else if (this.head.status === 204 || this.head.status === 304) this.#length = 0;
    else {
      this.#toEof = true;
      this.close = true;
    }
    return true;
  }

  #take(n: number): void {
    this.#size += n;
    if (this.#size > this.maxBody)
      throw new HttpWireError(`reply larger than ${this.maxBody} bytes`);
    this.#parts.push(this.#buf.subarray(0, n));
    this.#buf = this.#buf.subarray(n);
  }

  #parseBody(): boolean {
    if (this.#toEof) {
      this.#take(this.#buf.length);
      return false;
    }
    if (!this.#chunked) {
      const want = this.#length - this.#size;
      if (this.#buf.length < want) {
        this.#take(this.#buf.length);
        return false;
      }
      this.#take(want);
      if (this.#buf.length > 0) throw new HttpWireError('bytes past the reply');
      this.body =
        this.#parts.length === 1
          ? (this.#parts[0] as Buffer)
          : Buffer.concat(this.#parts, this.#size);
      return true;
    }
    for (;;) {
      const eol = this.#buf.indexOf('\r\n');
      if (eol < 0) return false;
      const size = parseInt(this.#buf.subarray(0, eol).toString('latin1'), 16);
      if (!Number.isFinite(size) || size < 0) throw new HttpWireError('bad chunk size');
      if (size === 0) {
        // The last chunk; trailers are not expected from a plug, only the closing CRLF.
        const fin = this.#buf.indexOf('\r\n\r\n', eol);
        if (fin < 0) return false;
        this.body = Buffer.concat(this.#parts, this.#size);
        return true;
      }
      if (this.#buf.length < eol + 2 + size + 2) return false;
      this.#buf = this.#buf.subarray(eol + 2);
      this.#take(size);
      this.#buf = this.#buf.subarray(2);
    }
  }
}
