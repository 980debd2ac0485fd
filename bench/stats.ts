/**
 * Pure helpers of the benchmark: percentiles, the measurement window from a bench report, and
 * the printed table.
 */
import type { BenchSample } from './report.js';

/** p50 / p99 / max of a sample, ms (or µs: whatever unit went in). */
export interface Spread {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentiles.
 * @param values any order; not modified
 * @returns `null` for an empty sample
 */
export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
  return {
    count: sorted.length,
    p50: round(rank(0.5), 2),
    p99: round(rank(0.99), 2),
    max: round(sorted[sorted.length - 1] as number, 2),
  };
}

/** Rounds to `digits` decimals. */
export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** A window of whole ticks between two report samples. */
export interface Window {
  /** First and last tick inside the window, unix s. */
  firstTick: number;
  lastTick: number;
  /** Ticks in the window: `ticks` asked for, more when a sample came late. */
  ticks: number;
  /** CPU user + system over the window, µs. */
  cpuUs: number;
  userUs: number;
  systemUs: number;
  ok: number;
  failed: number;
  /** RSS at the window's end, bytes. */
  rss: number;
  /** When the samples at the window's edges were taken, ms since the epoch. */
  startAt: number;
  endAt: number;
}

/**
 * Finds the window: skips samples until polls have started, then `warmup` more ticks (first
 * contact, connection set-up, JIT), then takes `ticks` whole intervals. Samples are matched by
 * their `tick`, not counted: a sample delayed past the next tick (a busy start) would
 * otherwise put two samples in one tick and a tick's polls outside the window, which read as
 * missed ticks. Of several samples of one tick the last counts.
 * @param samples the report so far, in order
 * @returns the window, or `undefined` when the report is not long enough yet
 */
export function measureWindow(
  samples: readonly BenchSample[],
  warmup: number,
  ticks: number,
  intervalS: number,
): Window | undefined {
  const byTick = samples.filter((s, i) => samples[i + 1]?.tick !== s.tick);
  const first = byTick.findIndex((s) => s.ok + s.failed > 0);
  if (first < 0) return undefined;
  const a = byTick[first + warmup];
  const b = a && byTick.find((s) => s.tick >= a.tick + ticks * intervalS);
  if (a === undefined || b === undefined) return undefined;
  return {
    firstTick: a.tick + intervalS,
    lastTick: b.tick,
    ticks: Math.round((b.tick - a.tick) / intervalS),
    cpuUs: b.userUs + b.systemUs - (a.userUs + a.systemUs),
    userUs: b.userUs - a.userUs,
    systemUs: b.systemUs - a.systemUs,
    ok: b.ok - a.ok,
    failed: b.failed - a.failed,
    rss: b.rss,
    startAt: a.at,
    endAt: b.at,
  };
}

/** One measured poller in one run. */
export interface PhaseResult {
  /** `collector` (MQTT on), `collector-bare` (sinks off), `peer` (tplink-smarthome-api). */
  phase: string;
  plugs: number;
  hung: number;
  ticks: number;
  pollsOk: number;
  pollsFailed: number;
  /** Healthy plugs' ticks without a good reading. */
  missedHealthy: number;
  cpuUsPerPoll: number;
  userUsPerPoll: number;
  systemUsPerPoll: number;
  /** Peak resident set (VmHWM), MB of 2^20 bytes. */
  peakRssMB: number;
  rssEndMB: number;
  /** Request written by the poller (to the kernel) minus the tick, ms. */
  tickOffsetMs: Spread | null;
  /** Request read by the plug process minus the tick, ms (adds the plugs' own latency). */
  plugArrivalMs: Spread | null;
  /** Per tick, the first request's arrival minus the tick, ms (how late the tick began). */
  tickStartMs: Spread | null;
  /** Reading delivered by the broker to a subscriber minus the tick, ms (MQTT on only). */
  deliveredMs: Spread | null;
  skippedTicks?: number;
  /**
   * The steady state from `/proc`, whole process tree, over the same window (start-up
   * excluded): CPU user + system per poll, µs; mean and largest RSS, MB.
   */
  steady: { cpuUsPerPoll: number; rssMB: number; rssMaxMB: number } | null;
  /** Whole run, start-up included, from `/proc`: CPU user + system, s. */
  runCpuS: number | null;
  /** Start-up of a collector run (`collector-report.ts`); null for the other pollers. */
  startup: Startup | null;
}

/** A collector's start-up, ms from the process's start. */
export interface Startup {
  /** The "collector started" log line: config read, sinks built, schedule armed. */
  readyMs: number | null;
  /** The first poll's result (after the wait for the first tick). */
  firstPollMs: number;
  /** CPU user + system spent by the first poll's result, ms (the tick wait is idle). */
  cpuToFirstPollMs: number;
  /** RSS at the first poll's result, MB. */
  rssAtFirstPollMB: number;
}

const fmt = (v: number | undefined, d = 1): string => (v === undefined ? '–' : v.toFixed(d));

/**
 * A Markdown table of the results, one row per poller and plug count.
 * @param results every phase of every run
 */
export function table(results: readonly PhaseResult[]): string {
  const head = [
    'plugs',
    'poller',
    'polls ok / failed',
    'missed (healthy)',
    'CPU µs/poll',
    'steady CPU µs/poll',
    'steady RSS MB',
    'peak RSS MB',
    'ready ms / CPU to 1st poll ms',
    'tick → sent p50 / p99 ms',
    'tick → plug read p50 / p99 ms',
    'tick → broker p50 / p99 ms',
  ];
  const rows = results.map((r) => [
    String(r.plugs) + (r.hung > 0 ? ` (${r.hung} hung)` : ''),
    r.phase,
    `${r.pollsOk} / ${r.pollsFailed}`,
    String(r.missedHealthy),
    fmt(r.cpuUsPerPoll),
    r.steady ? fmt(r.steady.cpuUsPerPoll) : '–',
    r.steady ? fmt(r.steady.rssMB) : '–',
    fmt(r.peakRssMB),
    r.startup
      ? `${r.startup.readyMs === null ? '–' : fmt(r.startup.readyMs, 0)} / ${fmt(r.startup.cpuToFirstPollMs, 0)}`
      : '–',
    r.tickOffsetMs ? `${fmt(r.tickOffsetMs.p50, 2)} / ${fmt(r.tickOffsetMs.p99, 2)}` : '–',
    r.plugArrivalMs ? `${fmt(r.plugArrivalMs.p50, 1)} / ${fmt(r.plugArrivalMs.p99, 1)}` : '–',
    r.deliveredMs ? `${fmt(r.deliveredMs.p50, 1)} / ${fmt(r.deliveredMs.p99, 1)}` : '–',
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}
