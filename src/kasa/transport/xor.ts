/**
 * The XOR transport: the Smart Home protocol's framing (4-byte big-endian length + XOR autokey
 * ciphertext, `xor-cipher.ts`) on one TCP connection to port 9999, kept open between polls and reopened on the next poll after any
 * failure (python-kasa's `XorTransport` does the same; the plugs and both simulators accept
 * several requests per connection, one at a time). Saves the connect, the accept and the closing
 * handshake of every poll, which is most of a poll's cost on a small CPU.
 *
 * Framing rules (docs/protocol.md#tcp-framing): the request frame goes out in ONE write; the
 * reply is read as exactly 4 + N bytes however it is segmented; the plug is never expected to
 * close.
 *
 * A reply can never be attributed to the wrong request: one request at a time; any timeout, error,
 * bad length, unsolicited byte (data while idle) or byte past the reply destroys the socket, so a
 * late or stray reply dies with the socket it was meant for, and the next request starts on a
 * fresh connection. `KasaDevice` also closes the connection when a reply's content is bad.
 *
 * A plug that closed an idle kept-alive connection (reboot, its own idle limit) costs no failed
 * poll: when a reused socket closes or resets before any reply byte came back, the request is sent
 * once more on a fresh connection within the same deadline. The requests are reads, so sending
 * one twice is harmless.
 *
 * Per request, nothing is allocated but the promise and the reply: reads land in one buffer
 * shared by all connections (`onread`; a read callback runs to completion before the next one),
 * and the deadline is one timer per connection, re-armed with `refresh()`.
 */
import net from 'node:net';
import { PlugError, PlugErrorCode } from '../../errors.js';
import { HEADER_BYTES, encodeFrame } from './xor-cipher.js';
import { BAD_LENGTH, NEED_MORE, XorReplyReader } from './xor-reply.js';
import { classifySocketError } from './socket-error.js';
import type { PlugAddress, RequestOptions, Transport } from './transport.js';

/** Largest reply body accepted, bytes. A sysinfo of an HS300 is ~3 KiB; 64 KiB is generous. */
export const MAX_REPLY_BYTES = 64 * 1024;

/** Where every connection's reads land; consumed (copied or decrypted) before the callback returns. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** The request in flight. */
interface Pending {
  frame: Buffer;
  timeoutMs: number;
  connectMs: number;
  maxReply: number;
  resolve: (body: Buffer) => void;
  reject: (err: PlugError) => void;
  connectDeadline: NodeJS.Timeout | undefined;
  /** Whether the request was already resent once on a fresh socket. */
  retried: boolean;
}

/** Request frames kept per transport: a device's requests are a handful of constant strings. */
const MAX_CACHED_FRAMES = 16;

/** A kept-alive XOR connection to one plug. Constructor assigns; the first request connects. */
export class XorTransport implements Transport {
  /** `host:port`, for messages. */
  readonly target: string;
  readonly kind = 'xor';
  #socket: net.Socket | undefined;
  /** The socket has completed at least one exchange (so a close on it may just be staleness). */
  #reused = false;
  #pending: Pending | undefined;
  /** The deadline timer, re-armed per request; ref'd only while a request is pending. */
  #timer: NodeJS.Timeout | undefined;
  #timerMs = 0;
  /** Encrypted frames by request text: requests repeat every poll, so each is encrypted once. */
  readonly #frames = new Map<string, Buffer>();
  /** The reply being read. */
  readonly #reply = new XorReplyReader();
  readonly #onDeadline = (): void => this.#timedOut(false);
  readonly #onConnectDeadline = (): void => {
    if (this.#socket?.connecting) this.#timedOut(true);
  };

  /** @param address where the plug listens */
  constructor(readonly address: PlugAddress) {
    this.target = `${address.host}:${address.port}`;
  }

  /** Whether a socket is open (or opening) right now. */
  get open(): boolean {
    return this.#socket !== undefined;
  }

  /**
   * Sends one request and returns the decrypted reply body (the {@link Transport} contract).
   * Opens the connection when there is none; keeps it open afterwards unless something went
   * wrong.
   * @param json the request, JSON text
   * @param opts deadline for (re)connect + write + whole reply, connect deadline, reply cap
   * @returns the reply plaintext (UTF-8 bytes of JSON, not yet parsed)
   * @throws PlugError PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_TIMEOUT, PLUG_CLOSED, PLUG_BAD_LENGTH
   * @throws Error when called while a request is in flight (the caller's bug)
   */
  request(json: string, opts: RequestOptions): Promise<Buffer> {
    let frame = this.#frames.get(json);
    if (frame === undefined) {
      frame = encodeFrame(json);
      if (this.#frames.size < MAX_CACHED_FRAMES) this.#frames.set(json, frame);
    }
    return this.requestFrame(frame, opts);
  }

  /**
   * Sends one already-encrypted frame and returns the decrypted reply body. Opens the connection
   * when there is none; keeps it open afterwards unless something went wrong.
   *
   * @param frame a request from `encodeFrame()` (length prefix + ciphertext)
   * @param opts deadline for (re)connect + write + whole reply, connect deadline, reply cap
   * @returns the reply plaintext (UTF-8 bytes of JSON, not yet parsed)
   * @throws PlugError PLUG_REFUSED, PLUG_UNREACHABLE, PLUG_TIMEOUT, PLUG_CLOSED, PLUG_BAD_LENGTH
   * @throws Error when called while a request is in flight (the caller's bug)
   */
  requestFrame(frame: Buffer, opts: RequestOptions): Promise<Buffer> {
    if (this.#pending !== undefined) {
      throw new Error(`XorTransport ${this.target}: request while another is in flight`);
    }
    return new Promise<Buffer>((resolve, reject) => {
      const connectMs = opts.connectTimeoutMs ?? opts.timeoutMs;
      const p: Pending = {
        frame,
        timeoutMs: opts.timeoutMs,
        connectMs,
        maxReply: opts.maxReplyBytes ?? MAX_REPLY_BYTES,
        resolve,
        reject,
        connectDeadline: undefined,
        retried: false,
      };
      this.#pending = p;
      this.#reply.reset();
      this.#armDeadline(opts.timeoutMs);
      // Between requests the socket is either gone or connected (every failure drops it).
      const socket = this.#socket;
      if (socket !== undefined) {
        socket.write(frame);
        return;
      }
      this.#connect();
      if (connectMs < opts.timeoutMs) {
        p.connectDeadline = setTimeout(this.#onConnectDeadline, connectMs);
      }
    });
  }

  /** Destroys the socket; a request in flight fails with PLUG_CLOSED. Safe to call twice. */
  close(): void {
    if (this.#pending !== undefined) {
      this.#fail(
        new PlugError(PlugErrorCode.CLOSED, this.target, 'connection closed by the collector'),
      );
    } else {
      this.#drop();
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #armDeadline(ms: number): void {
    let timer = this.#timer;
    if (timer === undefined || this.#timerMs !== ms) {
      clearTimeout(timer);
      timer = setTimeout(this.#onDeadline, ms);
      this.#timer = timer;
      this.#timerMs = ms;
    } else {
      timer.refresh();
    }
    timer.ref();
  }

  #connect(): void {
    const socket = net.connect({
      host: this.address.host,
      port: this.address.port,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array): boolean => {
          if (socket === this.#socket) this.#onRead(socket, n, buf as Buffer);
          return true;
        },
      },
    });
    this.#socket = socket;
    this.#reused = false;
    socket.setNoDelay(true);
    // An idle kept-alive socket must not keep the process alive; a pending request's timer does.
    socket.unref();
    socket.on('connect', () => {
      if (socket !== this.#socket) return;
      const p = this.#pending;
      if (p === undefined) return;
      if (p.connectDeadline !== undefined) clearTimeout(p.connectDeadline);
      socket.write(p.frame);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket === this.#socket) this.#lost(classifySocketError(this.target, err));
    });
    socket.on('close', () => {
      if (socket !== this.#socket) return;
      const got =
        this.#reply.received < HEADER_BYTES
          ? 'before the reply header'
          : `after ${this.#reply.received - HEADER_BYTES} of ${this.#reply.expected} reply bytes`;
      this.#lost(
        new PlugError(PlugErrorCode.CLOSED, this.target, `plug closed the connection ${got}`),
      );
    });
  }

  #onRead(socket: net.Socket, n: number, buf: Buffer): void {
    const p = this.#pending;
    if (p === undefined) {
      // Bytes nobody asked for: whatever they are, they must never be read as a later reply.
      this.#drop();
      return;
    }
    const body = this.#reply.feed(buf, n, p.maxReply);
    if (body === NEED_MORE) return;
    if (body === BAD_LENGTH) {
      this.#fail(
        new PlugError(
          PlugErrorCode.BAD_LENGTH,
          this.target,
          `reply announces ${this.#reply.expected} bytes (accepted: 1 to ${p.maxReply})`,
        ),
      );
      return;
    }
    const extra = this.#reply.overran;
    this.#settle(p);
    this.#reused = true;
    // Bytes past the reply mean the two ends disagree on framing: start afresh next time.
    if (extra || socket.destroyed) this.#drop();
    p.resolve(body);
  }

  /** The socket failed (error or close): retry once if it was a stale kept-alive socket. */
  #lost(err: PlugError): void {
    const p = this.#pending;
    if (p === undefined) {
      this.#drop();
      return;
    }
    if (
      this.#reused &&
      !p.retried &&
      this.#reply.received === 0 &&
      err.code === PlugErrorCode.CLOSED
    ) {
      p.retried = true;
      this.#drop();
      this.#connect();
      return;
    }
    this.#fail(err);
  }

  #timedOut(connectPhase: boolean): void {
    const p = this.#pending;
    if (p === undefined) return;
    const socket = this.#socket;
    let message: string;
    if (connectPhase) {
      message = `connect timed out after ${p.connectMs} ms`;
    } else {
      const waiting =
        socket === undefined || socket.connecting
          ? 'connect'
          : this.#reply.expected < 0
            ? 'reply header'
            : `reply body (${this.#reply.received - HEADER_BYTES} of ${this.#reply.expected} bytes)`;
      message = `no complete reply within ${p.timeoutMs} ms (waiting for ${waiting})`;
    }
    this.#fail(new PlugError(PlugErrorCode.TIMEOUT, this.target, message));
  }

  #fail(err: PlugError): void {
    const p = this.#pending;
    this.#drop();
    if (p === undefined) return;
    this.#settle(p);
    p.reject(err);
  }

  #settle(p: Pending): void {
    if (p.connectDeadline !== undefined) clearTimeout(p.connectDeadline);
    // The deadline timer stays armed (cheaper to re-arm than to recreate); it fires into
    // nothing and no longer keeps the process alive.
    this.#timer?.unref();
    this.#pending = undefined;
    this.#reply.clear();
  }

  /** Forgets and destroys the socket; its late events are ignored (they check `this.#socket`). */
  #drop(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#reused = false;
    this.#reply.clear();
    socket?.destroy();
  }
}
