/**
 * The floor the benchmark measures the collector against: a bare `node:net` loop with no
 * library. Each plug's connection stays open; at each harmonized tick ONE
 * synchronous loop writes the same pre-encrypted batched sysinfo + emeter frame to every plug;
 * each reply is reassembled, decrypted, parsed and normalized with the collector's own
 * functions; nothing is published, nothing is logged. No per-poll timer: a plug still silent at
 * the next tick counts as failed and is reconnected. What this process spends is what polling
 * costs on this machine before any design choice of the collector's.
 *
 * Run by `bench.ts` with one JSON argument ({@link FloorOptions}); reports like the collector's
 * preload (`report.ts`).
 */
import net from 'node:net';
import { startBenchReport } from './report.js';
import { systemClock } from '../src/clock.js';
import {
  decrypt,
  encodeFrame,
  HEADER_BYTES,
  readFrameLength,
} from '../src/kasa/transport/xor-cipher.js';
import { BATCH_REQUEST } from '../src/kasa/protocol/iot.js';
import { normalize } from '../src/kasa/normalize.js';
import { HarmonizedSchedule } from '../src/collector/schedule.js';
import { tickPattern } from '../src/config/tick-pattern.js';

/** The batched poll, encrypted once. */
const BATCH_FRAME = encodeFrame(BATCH_REQUEST);

/** What the parent passes. */
export interface FloorOptions {
  ports: number[];
  intervalS: number;
  report: string;
}

type Json = Record<string, unknown>;

/** One plug's kept-alive connection and the reply being reassembled. */
class Link {
  socket: net.Socket | undefined;
  pending = false;
  #chunks: Buffer[] = [];
  #have = 0;

  constructor(
    private readonly port: number,
    private readonly done: (ok: boolean) => void,
  ) {}

  /** Writes the frame, connecting first when needed; false when the last poll never finished. */
  poll(): boolean {
    const missed = this.pending;
    if (missed) this.#reset();
    this.socket ??= this.#connect();
    this.pending = true;
    this.socket.write(BATCH_FRAME);
    return !missed;
  }

  #connect(): net.Socket {
    const s = net.connect({ host: '127.0.0.1', port: this.port, noDelay: true });
    s.on('data', (chunk: Buffer) => this.#onData(chunk));
    s.on('error', () => this.#reset());
    s.on('close', () => {
      if (this.socket === s) this.socket = undefined;
    });
    return s;
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    const head = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks);
    if (this.#have < HEADER_BYTES) return;
    const length = readFrameLength(head);
    if (this.#have < HEADER_BYTES + length) return;
    const body = decrypt(head.subarray(HEADER_BYTES, HEADER_BYTES + length));
    this.#chunks = [];
    this.#have = 0;
    this.pending = false;
    try {
      const reply = JSON.parse(body.toString('utf8')) as Json;
      const sysinfo = (reply['system'] as Json)['get_sysinfo'] as Json;
      const emeter = (reply['emeter'] as Json)['get_realtime'] as Json;
      normalize(sysinfo, emeter);
      this.done(true);
    } catch {
      this.done(false);
    }
  }

  #reset(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.pending = false;
    this.#chunks = [];
    this.#have = 0;
  }
}

function main(): void {
  const opts = JSON.parse(process.argv[2] ?? '{}') as FloorOptions;
  const counts = { pollsOk: 0, pollsFailed: 0 };
  const done = (ok: boolean): void => {
    if (ok) counts.pollsOk++;
    else counts.pollsFailed++;
  };
  const links = opts.ports.map((port) => new Link(port, done));
  const schedule = new HarmonizedSchedule(
    tickPattern({ interval: opts.intervalS }),
    systemClock,
    () => {
      for (const link of links) if (!link.poll()) counts.pollsFailed++;
    },
  );
  schedule.start();
  startBenchReport(opts.report, opts.intervalS, () => counts);
  process.on('SIGTERM', () => {
    schedule.stop();
    process.exit(0);
  });
}

main();
