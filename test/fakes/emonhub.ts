/**
 * A fake emonhub socket interfacer on 127.0.0.1 modelled on emonhub's source (2.7.x;
 * docs/emonhub.md):
 * - `EmonHubInterfacer.run` (`src/emonhub_interfacer.py`) loops: `read()`, handle the one frame
 *   it returned, `time.sleep(0.1)`. Here a pass runs every `passMs` (100) on the given clock.
 * - `EmonHubSocketInterfacer.read` (`src/interfacers/EmonHubSocketInterfacer.py`): when a
 *   connection waits (`listen(1)`, `select` with no timeout), accept ONE, append ONE
 *   `recv(1024)` of it to `_sock_rx_buf` (a blocking recv: it waits for the first bytes, then
 *   returns what has arrived, at most 1024), close it; then, when the buffer holds a `\r\n`,
 *   take the first frame out of it. So one frame per pass at most, however many connections
 *   or lines come; several whole lines in one connection wait in the buffer.
 * - Never answers. Whatever arrives after the recv is lost. Stopping (an emonhub restart)
 *   loses the buffer and the connections not yet accepted.
 *
 * Node accepts connections at once, so the kernel's accept queue is modelled as a list: a
 * client of the real emonhub sees the same (its connect completes, its write lands in a
 * buffer) until that queue overflows, which the sink's pacing keeps it from doing.
 *
 * Every connection and every frame taken is checked against the rules whose violation kills or
 * confuses the real emonhub; a test asserts `violations` is empty. It can be stopped and
 * restarted on the SAME port to simulate emonhub outages.
 */
import net from 'node:net';
import { systemClock, type Clock } from '../../src/clock.js';

/** One connection's data as emonhub's one `recv(1024)` returned it. */
export interface Received {
  raw: string;
  /** The fake's clock `now()` at the recv. */
  at: number;
}

/** One frame emonhub took out of its buffer. */
export interface Taken {
  /** The frame without its `\r\n`. */
  line: string;
  /** The fake's clock `now()` at the pass that took it. */
  at: number;
}

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const INTEGER = /^(0|[1-9][0-9]*)$/;

/** emonhub's interfacer loop sleeps this long between passes, ms. */
export const EMONHUB_PASS_MS = 100;

/**
 * Checks one frame (a line without its `\r\n`) against emonhub's rules: no empty line, single
 * spaces, no leading/trailing space, integer time (when timestamped) and node, at least one
 * value, every value a plain finite decimal number.
 */
function frameViolations(line: string, timestamped: boolean): string[] {
  if (line === '') return ['empty line'];
  const out: string[] = [];
  if (line.includes('\n') || line.includes('\r')) out.push('lone \\n or \\r');
  if (/^ | $| {2}/.test(line)) out.push('leading, trailing or double space');
  const fields = line.split(' ');
  if (timestamped && !INTEGER.test(fields.shift() ?? '')) out.push('time is not an integer');
  if (!INTEGER.test(fields.shift() ?? '')) out.push('node is not an integer');
  if (fields.length === 0) out.push('no values');
  for (const f of fields)
    if (!NUMBER.test(f)) out.push(`value ${JSON.stringify(f)} is not a number`);
  return out;
}

/** The rules one connection's data must follow as a whole (its lines aside). */
function connectionViolations(raw: string): string[] {
  if (raw.length === 0) return ['empty connection'];
  const out: string[] = [];
  if (!/^[\x20-\x7e\r\n]*$/.test(raw)) out.push('non-ASCII or control character');
  if (raw.length >= 1024) out.push('1024 bytes or more: the rest is lost');
  if (!raw.endsWith('\r\n')) out.push('does not end with \\r\\n');
  return out;
}

/**
 * Checks one connection's data: ASCII, under 1024 bytes (the rest is lost), whole
 * `\r\n`-terminated lines only (a partial line would join the next connection's), and each line
 * a valid frame.
 * @returns the broken rules, empty when the data is fine
 */
export function emonhubViolations(raw: string, timestamped: boolean): string[] {
  const out = connectionViolations(raw);
  if (raw.length === 0) return out;
  const lines = raw.split('\r\n');
  lines.pop();
  for (const line of lines) out.push(...frameViolations(line, timestamped));
  return out;
}

interface Pending {
  socket: net.Socket;
  data: Buffer;
  ended: boolean;
}

/** The fake interfacer. */
export class FakeEmonhub {
  /** Connections accepted, with what the one recv returned, in order. */
  readonly received: Received[] = [];
  /** Frames emonhub took out of its buffer, one per pass at most, in order. */
  readonly frames: Taken[] = [];
  readonly violations: string[] = [];
  readonly #clock: Clock;
  readonly #passMs: number;
  #server: net.Server | undefined;
  /** The kernel's accept queue. */
  #pending: Pending[] = [];
  /** The connection a pass is blocked on in `recv` (nothing has arrived on it yet). */
  #blocked: Pending | undefined;
  #buffer = '';
  #timer: unknown;
  #port = 0;
  #connections = 0;

  /**
   * @param timestamped the interfacer's `timestamped` setting, used by the validation
   * @param opts the clock its passes run on (default the system clock) and the pass interval
   */
  constructor(
    readonly timestamped = true,
    opts: { clock?: Clock; passMs?: number } = {},
  ) {
    this.#clock = opts.clock ?? systemClock;
    this.#passMs = opts.passMs ?? EMONHUB_PASS_MS;
  }

  /** The listening port (stable across stop/start). */
  get port(): number {
    return this.#port;
  }

  /** The frames taken so far. */
  get lines(): string[] {
    return this.frames.map((f) => f.line);
  }

  /** Connections made to it so far. */
  get connections(): number {
    return this.#connections;
  }

  /**
   * Every connection made has its data here (or has ended): what a sender wrote has arrived,
   * so a pass sees what the real emonhub would.
   */
  get settled(): boolean {
    return this.#blocked === undefined && this.#pending.every((p) => p.data.length > 0 || p.ended);
  }

  /** Whole frames waiting in emonhub's buffer. */
  get buffered(): number {
    return this.#buffer.split('\r\n').length - 1;
  }

  /** Listens on 127.0.0.1 (a free port the first time, the same port afterwards) and loops. */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.#connected(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.#port, host: '127.0.0.1', backlog: 1 }, () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
    this.#arm();
  }

  /** Stops listening (connects are refused), drops waiting connections and the buffer. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const p of [...this.#pending, ...(this.#blocked ? [this.#blocked] : [])]) {
      p.socket.destroy();
    }
    this.#pending = [];
    this.#blocked = undefined;
    this.#buffer = '';
    await closed;
  }

  #connected(socket: net.Socket): void {
    this.#connections++;
    const p: Pending = { socket, data: Buffer.alloc(0), ended: false };
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      p.data = Buffer.concat([p.data, d]);
      if (this.#blocked === p) this.#resume();
    });
    socket.once('end', () => {
      p.ended = true;
      if (this.#blocked === p) this.#resume();
    });
    this.#pending.push(p);
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#pass();
    }, this.#passMs);
  }

  /** One pass of emonhub's loop: accept and recv one connection, take one frame, sleep. */
  #pass(): void {
    if (this.#server === undefined) return;
    const conn = this.#pending.shift();
    if (conn !== undefined) {
      if (conn.data.length === 0 && !conn.ended) {
        this.#blocked = conn; // a blocking recv: the loop waits for the first bytes
        return;
      }
      this.#recv(conn);
    }
    this.#take();
    this.#arm();
  }

  #resume(): void {
    const conn = this.#blocked as Pending;
    this.#blocked = undefined;
    this.#recv(conn);
    this.#take();
    this.#arm();
  }

  #recv(conn: Pending): void {
    // emonhub decodes with `.decode("utf-8")`; latin1 keeps every byte visible to the check.
    const raw = conn.data.subarray(0, 1024).toString('latin1');
    this.received.push({ raw, at: this.#clock.now() });
    for (const v of connectionViolations(raw)) this.violations.push(`${v}: ${JSON.stringify(raw)}`);
    conn.socket.destroy();
    this.#buffer += raw;
  }

  #take(): void {
    const end = this.#buffer.indexOf('\r\n');
    if (end < 0) return;
    const line = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end + 2);
    this.frames.push({ line, at: this.#clock.now() });
    for (const v of frameViolations(line, this.timestamped)) {
      this.violations.push(`${v}: ${JSON.stringify(line)}`);
    }
  }
}
