/**
 * The status page as one more sink: the fan-out feeds it readings, availability and poll
 * outcomes like the Prometheus sink, and it serves, on the same HTTP endpoint as `/metrics`
 * (`http.enabled`, `http.host`, 127.0.0.1 by default):
 *
 * - `GET /`            the page (`render.ts`), complete without JavaScript;
 * - `GET /api/status`  the same data as JSON ({@link StatusSnapshot}, `docs/status-page.md`);
 * - `GET /events`      live updates (`sse.ts`);
 * - `GET /status.js`, `/status.css` the page's static files (`assets.ts`).
 *
 * It owns no socket: the server in `../prometheus/http-server.ts` asks {@link StatusSink.route}
 * first. What it costs when nobody looks: `board.ts`'s per-reading bookkeeping, nothing else.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { DeviceInfo, Reading } from '../../reading.js';
import type { HttpRoute } from '../prometheus/http-server.js';
import type { PollObserver, Sink } from '../sink.js';
import { loadAssets, type Asset } from './assets.js';
import { StatusBoard, type SinkStatusJson, type StatusSnapshot } from './board.js';
import { renderPage } from './render.js';
import { SseHub, type SseOptions } from './sse.js';

/**
 * The page allows its own script and stylesheet and nothing else: no inline script, no
 * third-party origin (it loads nothing from the internet), no framing.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the status sink needs. */
export interface StatusSinkOptions {
  /** `poll.interval`, s. */
  intervalS: number;
  /** Live update limits (tests shorten `flushMs`). */
  sse?: SseOptions;
}

/** Its dependencies. */
export interface StatusSinkDeps {
  clock: Clock;
  log: Logger;
  /** The sinks whose state the page shows (itself is left out); read when the page is asked for. */
  sinks: readonly Sink[];
}

/** The status page {@link Sink} and {@link PollObserver}. */
export class StatusSink implements Sink, PollObserver {
  readonly name = 'status';
  readonly board: StatusBoard;
  readonly #hub: SseHub;
  readonly #log: Logger;
  #assets = new Map<string, Asset>();

  constructor(
    private readonly options: StatusSinkOptions,
    private readonly deps: StatusSinkDeps,
  ) {
    this.#log = deps.log.child({ sink: 'status' });
    this.board = new StatusBoard(options.intervalS, deps.clock);
    this.#hub = new SseHub(
      {
        full: () => JSON.stringify(this.snapshot()),
        update: () => this.#update(),
        onActive: (active) => this.board.track(active),
      },
      deps.clock,
      this.#log,
      options.sse,
    );
  }

  /** Live-update streams open now. */
  get clients(): number {
    return this.#hub.clients;
  }

  /** Reads the static files (a missing one is logged: the page then works without it). */
  async start(): Promise<void> {
    const { assets, missing } = loadAssets();
    this.#assets = assets;
    if (missing.length > 0)
      this.#log.warn({ missing }, 'status page files missing: the page works, but not live');
  }

  write(reading: Reading): void {
    this.board.reading(reading);
    this.#hub.changed();
  }

  availability(device: DeviceInfo, online: boolean): void {
    this.board.availability(device, online);
    this.#hub.changed();
  }

  removed(device: DeviceInfo): void {
    this.board.removed(device);
    this.#hub.changed();
  }

  /** {@link PollObserver.poll}: polls ok/failed and the last error per device. */
  poll(device: DeviceInfo, code: string | undefined, _durationS?: number, message?: string): void {
    this.board.poll(device, code, message);
    this.#hub.changed();
  }

  /** Spikes are the metrics' business. */
  spike(): void {}

  /** Ends the live streams (the server closes their sockets). Idempotent. */
  async stop(): Promise<void> {
    this.#hub.stop();
  }

  /** What `/api/status` answers. */
  snapshot(): StatusSnapshot {
    return {
      version: 1,
      generatedAt: new Date(this.deps.clock.now()).toISOString(),
      intervalS: this.options.intervalS,
      devices: this.board.devices(),
      sinks: this.#sinks(),
    };
  }

  /** The {@link HttpRoute} the HTTP server asks first. */
  readonly route: HttpRoute = (req, res, path) => {
    if (path === '/' || path === '/index.html') {
      send(res, 200, 'text/html; charset=utf-8', renderPage(this.snapshot()), {
        'content-security-policy': CONTENT_SECURITY_POLICY,
      });
    } else if (path === '/api/status') {
      send(res, 200, 'application/json', `${JSON.stringify(this.snapshot())}\n`);
    } else if (path === '/events') {
      this.#hub.open(req, res);
    } else {
      const asset = this.#assets.get(path);
      if (asset === undefined) return false;
      send(res, 200, asset.type, asset.body, { 'cache-control': 'no-cache' });
    }
    return true;
  };

  #update(): string | undefined {
    const { devices, removed } = this.board.takeChanges();
    if (devices.length === 0 && removed.length === 0) return undefined;
    const generatedAt = new Date(this.deps.clock.now()).toISOString();
    return JSON.stringify({ generatedAt, devices, removed, sinks: this.#sinks() });
  }

  #sinks(): SinkStatusJson[] {
    const now = this.deps.clock.now();
    return this.deps.sinks
      .filter((s) => s !== this)
      .map((s): SinkStatusJson => {
        let st;
        try {
          st = s.status?.();
        } catch {
          st = undefined;
        }
        if (st === undefined) {
          return {
            name: s.name,
            connected: null,
            queued: null,
            unit: null,
            oldest: null,
            oldestAgeS: null,
            dropped: null,
            lastError: null,
          };
        }
        return {
          name: s.name,
          connected: st.connected ?? null,
          queued: st.queued,
          unit: st.unit,
          oldest: st.oldestAt === undefined ? null : new Date(st.oldestAt).toISOString(),
          oldestAgeS: st.oldestAt === undefined ? null : Math.max(0, (now - st.oldestAt) / 1000),
          dropped: st.dropped,
          lastError:
            st.lastError === undefined
              ? null
              : {
                  message: st.lastError.message.slice(0, 300),
                  at: new Date(st.lastError.at).toISOString(),
                },
        };
      });
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}
