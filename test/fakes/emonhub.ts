/**
 * A fake emonhub socket interfacer on 127.0.0.1 that behaves like the real one
 * (emonhub `EmonHubSocketInterfacer.read`; docs/emonhub.md): it accepts a connection, does ONE
 * read of at most 1024 bytes, closes, and never answers. Whatever a second write or the rest of
 * a long frame carried is lost, as with the real one.
 *
 * Every received string is checked against the rules whose violation kills or confuses the real
 * emonhub; a test asserts `violations` is empty. It can be stopped and restarted on the SAME
 * port to simulate emonhub outages.
 */
import net from 'node:net';

/** One connection's data as emonhub would have seen it. */
export interface Received {
  raw: string;
  /** `Date.now()` when it arrived. */
  at: number;
}

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const INTEGER = /^(0|[1-9][0-9]*)$/;

/**
 * Checks one connection's data against emonhub's rules: ASCII, ends with `\r\n`, one frame, no
 * empty line, single spaces, no leading/trailing space, integer time (when timestamped) and node,
 * at least one value, every value a plain finite decimal number.
 * @returns the broken rules, empty when the data is fine
 */
export function emonhubViolations(raw: string, timestamped: boolean): string[] {
  const out: string[] = [];
  if (raw.length === 0) return ['empty connection'];
  if (!/^[\x20-\x7e\r\n]*$/.test(raw)) out.push('non-ASCII or control character');
  if (raw.length >= 1024) out.push('1024 bytes or more: the rest is lost');
  if (!raw.endsWith('\r\n')) out.push('does not end with \\r\\n');
  const lines = raw.split('\r\n');
  lines.pop();
  if (lines.length > 1) out.push('more than one frame in one connection');
  for (const line of lines) {
    if (line === '') {
      out.push('empty line');
      continue;
    }
    if (line.includes('\n') || line.includes('\r')) out.push('lone \\n or \\r');
    if (/^ | $| {2}/.test(line)) out.push('leading, trailing or double space');
    const fields = line.split(' ');
    if (timestamped && !INTEGER.test(fields.shift() ?? '')) out.push('time is not an integer');
    if (!INTEGER.test(fields.shift() ?? '')) out.push('node is not an integer');
    if (fields.length === 0) out.push('no values');
    for (const f of fields)
      if (!NUMBER.test(f)) out.push(`value ${JSON.stringify(f)} is not a number`);
  }
  return out;
}

/** The fake interfacer. */
export class FakeEmonhub {
  readonly received: Received[] = [];
  readonly violations: string[] = [];
  #server: net.Server | undefined;
  #sockets = new Set<net.Socket>();
  #port = 0;

  /** @param timestamped the interfacer's `timestamped` setting, used by the validation */
  constructor(readonly timestamped = true) {}

  /** The listening port (stable across stop/start). */
  get port(): number {
    return this.#port;
  }

  /** The frames received so far, without their `\r\n`. */
  get lines(): string[] {
    return this.received.map((r) => r.raw.replace(/\r\n$/, ''));
  }

  /** Listens on 127.0.0.1: a free port the first time, the same port afterwards. */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening (connects are refused) and drops open connections. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  #accept(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const record = (data: Buffer): void => {
      const chunk = data.subarray(0, 1024);
      // emonhub decodes with `.decode("utf-8")`; latin1 keeps every byte visible to the check.
      const raw = chunk.toString('latin1');
      this.received.push({ raw, at: Date.now() });
      for (const v of emonhubViolations(raw, this.timestamped)) {
        this.violations.push(`${v}: ${JSON.stringify(raw)}`);
      }
      socket.destroy();
    };
    socket.once('data', record);
    socket.once('end', () => {
      if (socket.bytesRead === 0) record(Buffer.alloc(0));
    });
  }
}
