/**
 * The closing summary of `npm run bench`: each performance target of docs/performance.md, the
 * figure measured for it in this run, and met / NOT met (– when its scenario did not run).
 * Every figure is steady state (`/proc`, whole process tree, start-up excluded).
 */
import type { PhaseResult } from './stats.js';
import { round } from './stats.js';

/** The figures the targets are judged on, as the benchmark gathered them. */
export interface SummaryInput {
  /** Every phase of the comparison runs (any plug count). */
  compare: readonly PhaseResult[];
  /** The small fleet's collector, and a bare idling `node` measured beside it. */
  smallFleet?: { collector: PhaseResult; bareNodeRssMB: number };
  /** The scale run's collector phases. */
  scale: readonly PhaseResult[];
  /** The plug count the comparison targets are stated for (1000). */
  targetPlugs: number;
}

/** One line of the summary. */
export interface TargetRow {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const steadyCpu = (p: PhaseResult | undefined): number | undefined => p?.steady?.cpuUsPerPoll;
const steadyRss = (p: PhaseResult | undefined): number | undefined => p?.steady?.rssMB;

/**
 * The collector phase with MQTT at its default `mqtt.output`: the run without the key, else
 * the `json` one (the default).
 */
function defaultCollector(phases: readonly PhaseResult[]): PhaseResult | undefined {
  return (
    phases.find((p) => p.phase === 'collector') ?? phases.find((p) => p.phase === 'collector[json]')
  );
}

function ratioRow(
  target: string,
  a: number | undefined,
  b: number | undefined,
  limit: number,
  names: [string, string],
): TargetRow {
  if (a === undefined || b === undefined || !(b > 0)) {
    return { target, measured: '–', met: undefined };
  }
  const r = round(a / b, 2);
  return {
    target,
    measured: `${r}× (${names[0]} ${round(a, 1)} / ${names[1]} ${round(b, 1)} µs/poll)`,
    met: r <= limit,
  };
}

/**
 * The targets, judged on one run.
 * @param input what the scenarios measured
 * @returns one row per target, in the order docs/performance.md lists them
 */
export function summarize(input: SummaryInput): TargetRow[] {
  const at = input.compare.filter((p) => p.plugs === input.targetPlugs);
  const by = (phase: string): PhaseResult | undefined => at.find((p) => p.phase === phase);
  const n = input.targetPlugs;
  const rows: TargetRow[] = [
    ratioRow(
      `poll path ≤ 1.2× floor CPU/poll (${n} plugs)`,
      steadyCpu(by('collector-bare')),
      steadyCpu(by('floor')),
      1.2,
      ['collector-bare', 'floor'],
    ),
    ratioRow(
      `collector, MQTT default output ≤ 0.5× peer CPU/poll (${n} plugs)`,
      steadyCpu(defaultCollector(at)),
      steadyCpu(by('peer')),
      0.5,
      ['collector', 'peer'],
    ),
    ratioRow(
      `collector, MQTT json_and_attributes ≤ 0.75× peer CPU/poll (${n} plugs)`,
      steadyCpu(by('collector[json_and_attributes]')),
      steadyCpu(by('peer')),
      0.75,
      ['collector', 'peer'],
    ),
  ];
  const mqttRss = steadyRss(defaultCollector(at));
  rows.push({
    target: `steady RSS ≤ 100 MB, ${n} plugs with MQTT`,
    measured: mqttRss === undefined ? '–' : `${round(mqttRss, 1)} MB`,
    met: mqttRss === undefined ? undefined : mqttRss <= 100,
  });
  const fleet = input.smallFleet;
  const fleetRss = steadyRss(fleet?.collector);
  if (fleet === undefined || fleetRss === undefined) {
    rows.push({
      target: 'small fleet (every sink on): steady RSS ≤ 55 MB',
      measured: '–',
      met: undefined,
    });
    rows.push({ target: 'small fleet: ≤ 1.4× a bare idling node', measured: '–', met: undefined });
  } else {
    const ratio = round(fleetRss / fleet.bareNodeRssMB, 2);
    rows.push({
      target: `small fleet (${fleet.collector.plugs} plugs, every sink on): steady RSS ≤ 55 MB`,
      measured: `${round(fleetRss, 1)} MB`,
      met: fleetRss <= 55,
    });
    rows.push({
      target: 'small fleet: ≤ 1.4× a bare idling node',
      measured: `${ratio}× (bare node ${round(fleet.bareNodeRssMB, 1)} MB)`,
      met: ratio <= 1.4,
    });
  }
  const scale = defaultCollector(input.scale) ?? input.scale[0];
  const p99 = scale?.deliveredMs?.p99;
  rows.push({
    target: `${scale?.plugs ?? 3000} plugs at 1 s: tick → broker p99 ≤ 1 s`,
    measured:
      scale === undefined
        ? '–'
        : p99 === undefined
          ? 'no reading delivered'
          : `p50 ${round(scale.deliveredMs?.p50 ?? NaN, 0)} / p99 ${round(p99, 0)} ms`,
    met: scale === undefined ? undefined : p99 !== undefined && p99 <= 1000,
  });
  rows.push({
    target: `${scale?.plugs ?? 3000} plugs at 1 s: no missed tick (healthy plugs)`,
    measured: scale === undefined ? '–' : `${scale.missedHealthy} missed`,
    met: scale === undefined ? undefined : scale.missedHealthy === 0,
  });
  return rows;
}

/** The summary as a Markdown table. */
export function summaryTable(rows: readonly TargetRow[]): string {
  const cells = rows.map((r) => [
    r.target,
    r.measured,
    r.met === undefined ? '–' : r.met ? 'met' : 'NOT met',
  ]);
  const head = ['target', 'measured', ''];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => (c[i] as string).length)),
  );
  const line = (c: string[]): string =>
    `| ${c.map((x, i) => x.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...cells.map(line),
  ].join('\n');
}
