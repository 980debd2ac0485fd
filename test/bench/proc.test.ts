import { describe, expect, it } from 'vitest';
import {
  sampleTree,
  statCpuMs,
  statusKB,
  steadyWindow,
  treePids,
  type TreeSample,
} from '../../bench/proc.js';

describe('process tree from /proc', () => {
  it('reads utime + stime after the command name, spaces and parentheses in it included', () => {
    // Fields 14 and 15 are 250 and 50 ticks; at 100 ticks/s that is 3000 ms.
    const line = '1234 (node (a) b) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0';
    expect(statCpuMs(line)).toBe(3000);
    expect(statCpuMs('1 (x) S')).toBeUndefined();
  });

  it('reads kB lines of status', () => {
    const status = 'Name:\tnode\nVmHWM:\t  90112 kB\nVmRSS:\t  81920 kB\n';
    expect(statusKB(status, 'VmRSS')).toBe(81920);
    expect(statusKB(status, 'VmHWM')).toBe(90112);
    expect(statusKB('Name:\tx\n', 'VmRSS')).toBeNaN();
  });

  it('interpolates CPU at the window edges and averages RSS inside it', () => {
    const s = (atMs: number, cpuMs: number, rssMB: number): TreeSample => ({
      atMs,
      cpuMs,
      rssMB,
      processes: 1,
    });
    const samples = [s(0, 0, 90), s(1000, 100, 50), s(2000, 300, 60), s(3000, 400, 70)];
    // 500 → 50 ms, 2500 → 350 ms: 300 ms in the window; RSS of the samples at 1000 and 2000.
    expect(steadyWindow(samples, 500, 2500)).toEqual({
      cpuMs: 300,
      rssMeanMB: 55,
      rssMaxMB: 60,
      samples: 2,
    });
    // Not covered by the samples: no figure rather than a wrong one.
    expect(steadyWindow(samples, 500, 3500)).toBeUndefined();
    expect(steadyWindow(samples, -1, 2000)).toBeUndefined();
  });

  it.skipIf(process.platform !== 'linux')('samples this process', () => {
    expect(treePids(process.pid)[0]).toBe(process.pid);
    const now = sampleTree(process.pid);
    expect(now?.processes).toBeGreaterThanOrEqual(1);
    expect(now?.rssMB).toBeGreaterThan(10);
    expect(now?.cpuMs).toBeGreaterThan(0);
    expect(sampleTree(2 ** 22 + 1)).toBeUndefined();
  });
});
