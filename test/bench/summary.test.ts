import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../bench/stats.js';
import { summarize, summaryTable } from '../../bench/summary.js';

function phase(
  name: string,
  plugs: number,
  cpu: number,
  rss: number,
  extra: Partial<PhaseResult> = {},
): PhaseResult {
  return {
    phase: name,
    plugs,
    hung: 0,
    ticks: 10,
    pollsOk: plugs * 10,
    pollsFailed: 0,
    missedHealthy: 0,
    cpuUsPerPoll: cpu,
    userUsPerPoll: cpu,
    systemUsPerPoll: 0,
    peakRssMB: rss,
    rssEndMB: rss,
    tickOffsetMs: null,
    plugArrivalMs: null,
    tickStartMs: null,
    deliveredMs: null,
    steady: { cpuUsPerPoll: cpu, rssMB: rss, rssMaxMB: rss },
    runCpuS: null,
    startup: null,
    ...extra,
  };
}

describe('bench summary', () => {
  it('judges each target on the steady figures of the run', () => {
    const rows = summarize({
      targetPlugs: 1000,
      compare: [
        phase('floor', 1000, 30, 70),
        phase('collector-bare', 1000, 33, 80),
        phase('peer', 1000, 150, 120),
        phase('collector[json]', 1000, 80, 99),
        phase('collector[json_and_attributes]', 1000, 120, 110),
        phase('floor', 100, 999, 70), // another plug count: not judged
      ],
      smallFleet: { collector: phase('small-fleet', 20, 900, 54), bareNodeRssMB: 40 },
      scale: [
        phase('scale collector[json]', 3000, 60, 200, {
          deliveredMs: { count: 30000, p50: 400, p99: 1200, max: 1500 },
          missedHealthy: 0,
        }),
      ],
    });
    expect(rows.map((r) => r.met)).toEqual([
      true, // 33 / 30 = 1.1 ≤ 1.2
      false, // 80 / 150 = 0.53 > 0.5
      false, // 120 / 150 = 0.8 > 0.75
      true, // 99 MB ≤ 100
      true, // 54 MB ≤ 55
      true, // 54 / 40 = 1.35 ≤ 1.4
      false, // p99 1200 ms > 1 s
      true, // none missed
    ]);
    expect(rows[0]?.measured).toBe('1.1× (collector-bare 33 / floor 30 µs/poll)');
    expect(rows[6]?.measured).toBe('p50 400 / p99 1200 ms');
    const text = summaryTable(rows);
    expect(text).toContain('| NOT met |');
    expect(text.split('\n')).toHaveLength(rows.length + 2);
  });

  it('marks a target whose scenario did not run with –, never met', () => {
    const rows = summarize({
      targetPlugs: 1000,
      compare: [phase('floor', 1000, 30, 70), phase('collector', 1000, 60, 90)],
      scale: [],
    });
    expect(rows.map((r) => r.met)).toEqual([
      undefined,
      undefined,
      undefined,
      true, // the run without mqtt.output is the default one
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
