/**
 * The metrics endpoint: `GET /metrics` in the Prometheus text format, `GET /healthz` as JSON,
 * the routes of other features served on the same port (the status page, `../status/`), 404 for
 * anything else. Plain `node:http`: a handful of routes need no framework.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HealthReport } from './health.js';

/** Where to listen (the `http` config slice; `port` 0 picks a free port, for tests). */
export interface HttpServerOptions {
  host: string;
  port: number;
}

/**
 * A route of another feature: serves a GET or HEAD request and returns true, or returns false
 * to let the next route (and at last the 404) have it. Must not throw.
 * @param path the request path without the query string
 */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** What the server serves: the registry for `/metrics`, the verdict for `/healthz`. */
export interface HttpServerDeps {
  registry: Registry;
  health: () => HealthReport;
  log: Logger;
  /** Asked first, in order (the status page). */
  routes?: readonly HttpRoute[];
}

/** `/metrics` and `/healthz` over HTTP; constructor assigns, `start()` listens, `stop()` closes. */
export class MetricsHttpServer {
  #server: Server | undefined;

  constructor(
    private readonly options: HttpServerOptions,
    private readonly deps: HttpServerDeps,
  ) {}

  /** The bound port (the real one when configured with 0); undefined until started. */
  get port(): number | undefined {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
  }

  /**
   * Listens on `host:port`.
   * @throws Error (e.g. `EADDRINUSE`) when the port cannot be bound: a metrics endpoint that is
   *   configured but silently absent would look like a dead collector to Prometheus
   */
  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.deps.log.error({ err }, 'metrics server error'));
    this.#server = server;
    this.deps.log.info({ host: this.options.host, port: this.port }, 'metrics endpoint listening');
  }

  /** Stops listening and closes open (keep-alive) connections at once. Idempotent. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  #routed(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    return routed(this.deps.routes ?? [], this.deps.log, req, res, path);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    } else if (this.#routed(req, res, path)) {
      return;
    } else if (path === '/metrics') {
      try {
        const text = await this.deps.registry.metrics();
        send(res, 200, this.deps.registry.contentType, text);
      } catch (err) {
        this.deps.log.error({ err }, 'metrics collection failed');
        send(res, 500, 'text/plain; charset=utf-8', 'metrics collection failed\n');
      }
    } else if (path === '/healthz') {
      const { status, body } = this.deps.health();
      send(res, status, 'application/json', `${JSON.stringify(body)}\n`);
    } else {
      send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /healthz\n');
    }
  }
}

/** Passes a request to the routes of other features. */
function routed(
  routes: readonly HttpRoute[],
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): boolean {
  for (const route of routes) {
    try {
      if (route(req, res, path)) return true;
    } catch (err) {
      log.error({ err, path }, 'HTTP route failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
      return true;
    }
  }
  return false;
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(body);
}
