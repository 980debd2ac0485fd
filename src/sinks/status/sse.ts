/**
 * Live updates of the status page over Server-Sent Events (`GET /events`, the WHATWG HTML
 * standard's `text/event-stream`): on connect one `status` event with the whole snapshot, then an
 * `update` event with what changed, at most one per `flushMs` (a tick's polls arrive spread over
 * the tick; one event carries them all), and a comment line every `heartbeatMs` so proxies keep
 * the connection.
 *
 * Cost: nothing while no client is connected (no timer, no change tracking: `onActive(false)`);
 * the work per tick is proportional to the clients and the devices that changed. Bounded: at
 * most `maxClients` streams (more get 503), and a client that stops reading is dropped once
 * `maxBuffered` bytes wait for it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';

/** Limits and pacing of {@link SseHub}. */
export interface SseOptions {
  /** Streams served at once. Default 8. */
  maxClients?: number;
  /** Least time between two `update` events, ms. Default 250. */
  flushMs?: number;
  /** Keep-alive comment period, ms. Default 25000. */
  heartbeatMs?: number;
  /** Bytes waiting for one client before it is dropped. Default 1 MiB. */
  maxBuffered?: number;
}

/** What the hub sends: the snapshot on connect, the changes on flush (undefined: nothing new). */
export interface SseSource {
  full(): string;
  update(): string | undefined;
  /** Called with true when the first client connects, false when the last leaves. */
  onActive(active: boolean): void;
}

/** The `/events` streams. Constructor assigns; `stop()` ends every stream. */
export class SseHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #maxClients: number;
  readonly #flushMs: number;
  readonly #heartbeatMs: number;
  readonly #maxBuffered: number;
  #flushTimer: unknown;
  #heartbeat: unknown;
  #stopped = false;

  constructor(
    private readonly source: SseSource,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: SseOptions = {},
  ) {
    this.#maxClients = options.maxClients ?? 8;
    this.#flushMs = options.flushMs ?? 250;
    this.#heartbeatMs = options.heartbeatMs ?? 25_000;
    this.#maxBuffered = options.maxBuffered ?? 1 << 20;
  }

  /** Streams open now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Serves one `GET /events`. */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.#stopped || this.#clients.size >= this.#maxClients) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' });
      res.end('too many live status pages open\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const first = this.#clients.size === 0;
    this.#clients.add(res);
    res.once('close', () => this.#drop(res));
    if (first) {
      this.source.onActive(true);
      this.#heartbeat = this.clock.setTimeout(() => this.#beat(), this.#heartbeatMs);
    }
    this.#send(res, `retry: 5000\nevent: status\ndata: ${this.source.full()}\n\n`);
  }

  /** Something changed: an `update` goes out within `flushMs`, when anyone listens. */
  changed(): void {
    if (this.#clients.size === 0 || this.#flushTimer !== undefined) return;
    this.#flushTimer = this.clock.setTimeout(() => this.#flush(), this.#flushMs);
  }

  /** Ends every stream and timer. Idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const res of [...this.#clients]) res.end();
    this.#clients.clear();
    this.#clearTimers();
  }

  #flush(): void {
    this.#flushTimer = undefined;
    if (this.#clients.size === 0) return;
    const data = this.source.update();
    if (data === undefined) return;
    const event = `event: update\ndata: ${data}\n\n`;
    for (const res of [...this.#clients]) this.#send(res, event);
  }

  #beat(): void {
    this.#heartbeat = undefined;
    if (this.#clients.size === 0) return;
    for (const res of [...this.#clients]) this.#send(res, ': keep-alive\n\n');
    this.#heartbeat = this.clock.setTimeout(() => this.#beat(), this.#heartbeatMs);
  }

  #send(res: ServerResponse, text: string): void {
    if (res.writableLength > this.#maxBuffered) {
      this.log.warn('dropping a status page client that stopped reading');
      res.destroy();
      this.#drop(res);
      return;
    }
    res.write(text);
  }

  #drop(res: ServerResponse): void {
    if (!this.#clients.delete(res) || this.#clients.size > 0) return;
    this.#clearTimers();
    this.source.onActive(false);
  }

  #clearTimers(): void {
    if (this.#flushTimer !== undefined) this.clock.clearTimeout(this.#flushTimer);
    if (this.#heartbeat !== undefined) this.clock.clearTimeout(this.#heartbeat);
    this.#flushTimer = undefined;
    this.#heartbeat = undefined;
  }
}
