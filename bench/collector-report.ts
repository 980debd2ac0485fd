/**
 * Preloaded into the collector runs of the benchmark (`node --import …/collector-report.js
 * dist/bin.js run`): counts polls from the collector's diagnostics channel
 * (`POLL_CHANNEL` in `src/collector/collector.ts`) and appends a {@link BenchSample} per interval
 * to `KASA_COLLECTOR_BENCH_REPORT`. Nothing of the benchmark runs in the collector's own start
 * path; without the preload the channel has no subscriber and costs nothing.
 *
 * `KASA_COLLECTOR_BENCH_INTERVAL` gives the poll interval, s (default 1). With
 * `KASA_COLLECTOR_BENCH_STARTUP` set, the first poll's result writes a {@link FirstPoll} there.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startBenchReport, type PollCounts } from './report.js';

/**
 * `POLL_CHANNEL` of `src/collector/collector.ts`, spelled out: importing that module here would
 * load a second copy of the collector into the process being measured.
 */
const POLL_CHANNEL = 'kasa-collector:poll';

/** The process at its first poll's result. */
export interface FirstPoll {
  /** When the process started (`performance.timeOrigin`), ms since the epoch. */
  startMs: number;
  /** The first poll's result, ms after the start. */
  firstPollMs: number;
  /** `process.cpuUsage()` user + system by then, µs. */
  cpuUs: number;
  /** RSS then, bytes. */
  rss: number;
}

const file = process.env['KASA_COLLECTOR_BENCH_REPORT'];
if (file !== undefined && file !== '') {
  const counts: PollCounts = { pollsOk: 0, pollsFailed: 0 };
  const startup = process.env['KASA_COLLECTOR_BENCH_STARTUP'];
  subscribe(POLL_CHANNEL, (message) => {
    if (startup !== undefined && counts.pollsOk + counts.pollsFailed === 0) {
      const cpu = process.cpuUsage();
      const first: FirstPoll = {
        startMs: performance.timeOrigin,
        firstPollMs: performance.now(),
        cpuUs: cpu.user + cpu.system,
        rss: process.memoryUsage().rss,
      };
      writeFileSync(startup, JSON.stringify(first));
    }
    if ((message as { ok: boolean }).ok) counts.pollsOk++;
    else counts.pollsFailed++;
  });
  const intervalS = Number(process.env['KASA_COLLECTOR_BENCH_INTERVAL'] ?? '1');
  startBenchReport(file, intervalS > 0 ? intervalS : 1, () => counts);
}
