/**
 * CPU time and resident memory of a whole process tree, read from Linux's `/proc` (proc(5)):
 * `/proc/<pid>/stat` fields 14 and 15 (utime, stime, in clock ticks), `/proc/<pid>/status`
 * `VmRSS` and `VmHWM` (kB), and `/proc/<pid>/task/<tid>/children` for the descendants. The
 * benchmark samples a poller's tree a few times a second and reads a steady-state window off
 * the samples, start-up excluded.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** One reading of a process tree. */
export interface TreeSample {
  /** When it was read, ms since the epoch. */
  atMs: number;
  /** User + system CPU time of every process in the tree, ms. */
  cpuMs: number;
  /** Sum of the processes' resident sets, MB of 2^20 bytes. */
  rssMB: number;
  /** Processes in the tree. */
  processes: number;
}

/** Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 on Linux). */
const CLK_TCK = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * `pid` and its descendants, from each thread's `children` file.
 * @returns empty when `pid` is gone
 */
export function treePids(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      const children = read(`/proc/${p}/task/${tid}/children`) ?? '';
      for (const c of children.split(' ')) if (c.trim() !== '') visit(Number(c));
    }
  };
  if (read(`/proc/${pid}/stat`) !== undefined) visit(pid);
  return out;
}

/**
 * The CPU time of one process from its `stat` line, ms: fields 14 and 15, counted after the
 * closing parenthesis of the command name (which may hold spaces).
 * @returns undefined for a malformed line
 */
export function statCpuMs(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** A `kB` line of `/proc/<pid>/status`, in kB; NaN when absent. */
export function statusKB(status: string, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : NaN;
}

/**
 * Reads the tree under `pid` now.
 * @returns undefined when the process is gone
 */
export function sampleTree(pid: number): TreeSample | undefined {
  const atMs = Date.now();
  let cpuMs = 0;
  let rssKB = 0;
  let processes = 0;
  for (const p of treePids(pid)) {
    const stat = read(`/proc/${p}/stat`);
    const status = read(`/proc/${p}/status`);
    if (stat === undefined || status === undefined) continue;
    cpuMs += statCpuMs(stat) ?? 0;
    const rss = statusKB(status, 'VmRSS');
    if (Number.isFinite(rss)) rssKB += rss;
    processes++;
  }
  return processes === 0 ? undefined : { atMs, cpuMs, rssMB: rssKB / 1024, processes };
}

/** Peak resident set of the tree's processes as they are now (VmHWM summed), MB. */
export function treePeakRssMB(pid: number): number {
  let kB = 0;
  for (const p of treePids(pid)) {
    const v = statusKB(read(`/proc/${p}/status`) ?? '', 'VmHWM');
    if (Number.isFinite(v)) kB += v;
  }
  return kB / 1024;
}

/** The steady state of a tree over a window. */
export interface Steady {
  /** CPU time spent in the window, ms (linear between the samples around each edge). */
  cpuMs: number;
  /** Mean and largest resident set of the samples in the window, MB. */
  rssMeanMB: number;
  rssMaxMB: number;
  /** Samples inside the window. */
  samples: number;
}

function cpuAt(samples: readonly TreeSample[], atMs: number): number | undefined {
  const i = samples.findIndex((s) => s.atMs >= atMs);
  if (i < 0) return undefined;
  const b = samples[i] as TreeSample;
  if (i === 0) return b.atMs === atMs ? b.cpuMs : undefined;
  const a = samples[i - 1] as TreeSample;
  return a.cpuMs + ((b.cpuMs - a.cpuMs) * (atMs - a.atMs)) / (b.atMs - a.atMs);
}

/**
 * The tree's CPU and RSS between two instants.
 * @param samples in time order
 * @param fromMs window start, ms since the epoch
 * @param toMs window end
 * @returns undefined when the samples do not cover the window
 */
export function steadyWindow(
  samples: readonly TreeSample[],
  fromMs: number,
  toMs: number,
): Steady | undefined {
  const a = cpuAt(samples, fromMs);
  const b = cpuAt(samples, toMs);
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  if (a === undefined || b === undefined || inside.length === 0) return undefined;
  const rss = inside.map((s) => s.rssMB);
  return {
    cpuMs: b - a,
    rssMeanMB: rss.reduce((x, y) => x + y, 0) / rss.length,
    rssMaxMB: Math.max(...rss),
    samples: inside.length,
  };
}

/** Samples a tree every `everyMs` until stopped. */
export class TreeSampler {
  readonly samples: TreeSample[] = [];
  readonly #timer: NodeJS.Timeout;

  /**
   * @param pid the tree's root
   * @param everyMs sampling period, ms
   */
  constructor(
    readonly pid: number,
    everyMs = 200,
  ) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  /** Takes a sample now (the timer goes on). */
  sample(): void {
    const s = sampleTree(this.pid);
    if (s !== undefined) this.samples.push(s);
  }

  /** Takes a last sample and stops. */
  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}
