/**
 * The benchmark's per-interval report (`npm run bench`): every measured poller (the collector
 * through `collector-report.ts`, the floor and the peer directly) appends one JSON line per
 * interval with the process's CPU time, memory and poll counters, so the benchmark can measure
 * a window of whole ticks that leaves start-up out.
 *
 * Samples are taken at 90 % of each interval: after a tick's polls have settled (the deadline is
 * below the interval) and before the next tick starts.
 */
import { appendFileSync } from 'node:fs';

/** The variable that turns the report on. */
export const BENCH_REPORT_ENV = 'KASA_COLLECTOR_BENCH_REPORT';

/** One line of the report. */
export interface BenchSample {
  /** The tick this sample follows, unix s. */
  tick: number;
  /** When the sample was taken, ms since the epoch. */
  at: number;
  /** `process.cpuUsage()`: user and system CPU time since start, µs (all threads). */
  userUs: number;
  systemUs: number;
  /** `process.memoryUsage()` now, bytes: resident set, V8 heap committed and used, external. */
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  /** Polls that succeeded and failed since start. */
  ok: number;
  failed: number;
}

/** Poll counters of whatever is measured. */
export interface PollCounts {
  pollsOk: number;
  pollsFailed: number;
}

/**
 * Appends a {@link BenchSample} to `file` at 90 % of every interval, on an unref'd timer.
 * @param file where the JSON lines go
 * @param intervalS the poll interval, s
 * @param counts read at each sample
 * @returns stops the report
 */
export function startBenchReport(
  file: string,
  intervalS: number,
  counts: () => PollCounts,
): () => void {
  const periodMs = intervalS * 1000;
  const offsetMs = Math.round(periodMs * 0.9);
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const now = Date.now();
    const next = (Math.floor((now - offsetMs) / periodMs) + 1) * periodMs + offsetMs;
    timer = setTimeout(sample, next - now);
    timer.unref();
  };
  const sample = (): void => {
    const at = Date.now();
    const cpu = process.cpuUsage();
    const { pollsOk, pollsFailed } = counts();
    const mem = process.memoryUsage();
    const line: BenchSample = {
      tick: Math.floor(at / periodMs) * intervalS,
      at,
      userUs: cpu.user,
      systemUs: cpu.system,
      rss: mem.rss,
      heapTotal: mem.heapTotal,
      heapUsed: mem.heapUsed,
      external: mem.external,
      ok: pollsOk,
      failed: pollsFailed,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    arm();
  };
  arm();
  return () => clearTimeout(timer);
}
