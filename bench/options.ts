/**
 * The benchmark's command line (`npm run bench -- …`), parsed and checked: which scenarios run,
 * at what plug counts and tick interval, and which `mqtt.output` modes the collector runs with.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkInterval } from '../src/config/tick-pattern.js';

/** The pollers of the comparison, in run order: the MQTT runs last (their broker backlog). */
export const PHASES = ['floor', 'collector-bare', 'peer', 'collector'] as const;
/** One poller of the comparison. */
export type Phase = (typeof PHASES)[number];

/**
 * What runs:
 *   compare      floor, collector-bare, peer, collector (MQTT) at `--plugs`, `--interval`
 *   small-fleet  20 plugs, every sink on, 2 s ticks, beside a bare idling `node`
 *   scale        3000 plugs at 1 s with MQTT: tick → broker latency, missed ticks
 */
export const SCENARIOS = ['compare', 'small-fleet', 'scale'] as const;
/** One scenario. */
export type Scenario = (typeof SCENARIOS)[number];

/** The values `mqtt.output` takes. */
export const OUTPUT_MODES = ['json', 'attributes', 'json_and_attributes'] as const;
/** One `mqtt.output` mode. */
export type OutputMode = (typeof OUTPUT_MODES)[number];

/** The length of the steady-state window, s: ticks are counted to cover at least this. */
export const STEADY_WINDOW_S = 10;

/** The parsed command line. */
export interface Options {
  scenarios: Scenario[];
  /** Plug counts of the comparison (`--sweep`: 100, 1000, 3000). */
  plugs: number[];
  /** Tick interval of the comparison and the scale run, s. */
  intervalS: number;
  /** Ticks in the measured window; default enough for {@link STEADY_WINDOW_S}. */
  ticks: number | undefined;
  /** Ticks left out after the first poll; default enough for ~3000 polls (JIT warm-up), ≥ 3. */
  warmup: number | undefined;
  hung: number;
  /** `poll.timeout`, s; default min(2, interval / 2). */
  timeoutS: number | undefined;
  json: string | undefined;
  phases: Phase[];
  cpuProf: string | undefined;
  /** Keep the temporary directory (configs, logs, reports) and print its path. */
  keep: boolean;
  /** `mqtt.qos` of the collector; default: the collector's default. */
  qos: number | undefined;
  /**
   * `mqtt.output` modes, one collector run each; empty: one run without the key (the
   * collector's default). The key is passed through the collector's config file.
   */
  outputs: OutputMode[];
  /** The collector's executable (another build, for a before and after). */
  bin: string | undefined;
  /** Plugs of the small fleet (20) and of the scale run (3000). */
  fleetPlugs: number;
  scalePlugs: number;
  /** Shorter windows and no scale run, unless `--scenarios` asks for it. */
  quick: boolean;
  /**
   * Rounds of the comparison: every poller once per round, in turn; each poller's run with the
   * median steady CPU per poll is the one reported (a shared machine's noise spreads single runs).
   */
  rounds: number;
}

function list<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`--${flag}: unknown "${item}"; one or more of ${allowed.join(', ')}`);
    }
  }
  if (items.length === 0) throw new Error(`--${flag}: empty; one or more of ${allowed.join(', ')}`);
  return [...new Set(items)] as T[];
}

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} ${v}: a whole number ≥ ${min}`);
  return n;
}

/**
 * Parses the benchmark's arguments.
 * @param argv arguments after the script
 * @throws Error naming the flag and what it takes, on any bad value or unknown flag
 */
export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      scenarios: { type: 'string' },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '1' },
      plugs: { type: 'string', default: '1000' },
      interval: { type: 'string', default: '1' },
      ticks: { type: 'string' },
      warmup: { type: 'string' },
      hung: { type: 'string', default: '0' },
      timeout: { type: 'string' },
      json: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      phases: { type: 'string', default: PHASES.join(',') },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      qos: { type: 'string' },
      outputs: { type: 'string' },
      bin: { type: 'string' },
      'fleet-plugs': { type: 'string', default: '20' },
      'scale-plugs': { type: 'string', default: '3000' },
    },
  });
  const intervalS = int('interval', values.interval, 1);
  const intervalIssue = checkInterval(intervalS)[0];
  if (intervalIssue) throw new Error(`--interval ${values.interval}: ${intervalIssue.message}`);
  const hung = Number(values.hung);
  if (!(hung >= 0 && hung < 1)) throw new Error(`--hung ${values.hung}: a share, 0 ≤ P < 1`);
  const timeoutS = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0 && timeoutS < intervalS)) {
    throw new Error(`--timeout ${values.timeout}: seconds, > 0 and below --interval`);
  }
  const quick = values.quick;
  const scenarios =
    values.scenarios === undefined
      ? SCENARIOS.filter((s) => !(quick && s === 'scale'))
      : list('scenarios', values.scenarios, SCENARIOS);
  return {
    scenarios,
    plugs: values.sweep ? [100, 1000, 3000] : [int('plugs', values.plugs, 1)],
    intervalS,
    ticks: values.ticks === undefined ? undefined : int('ticks', values.ticks, 1),
    warmup: values.warmup === undefined ? undefined : int('warmup', values.warmup, 1),
    hung,
    timeoutS,
    json: values.json,
    phases: list('phases', values.phases, PHASES),
    cpuProf: values['cpu-prof'],
    keep: values.keep,
    qos: values.qos === undefined ? undefined : int('qos', values.qos, 0),
    outputs: values.outputs === undefined ? [] : list('outputs', values.outputs, OUTPUT_MODES),
    bin: values.bin === undefined ? undefined : path.resolve(values.bin),
    fleetPlugs: int('fleet-plugs', values['fleet-plugs'], 1),
    scalePlugs: int('scale-plugs', values['scale-plugs'], 1),
    quick,
    rounds: int('rounds', values.rounds, 1),
  };
}

/**
 * Ticks in the measured window: `--ticks`, else enough to cover {@link STEADY_WINDOW_S}
 * (half that with `--quick`).
 * @param opts parsed options
 * @param intervalS the scenario's tick interval, s
 */
export function windowTicks(opts: Pick<Options, 'ticks' | 'quick'>, intervalS: number): number {
  return opts.ticks ?? Math.max(1, Math.ceil((opts.quick ? 5 : STEADY_WINDOW_S) / intervalS));
}

/**
 * The collector phases of one comparison: one per `--outputs` mode (`collector[json]`, …), or
 * one `collector` without the key.
 * @param outputs the modes asked for
 * @returns phase labels and the `mqtt.output` each passes (undefined: the key is left out)
 */
export function collectorRuns(
  outputs: readonly OutputMode[],
): { label: string; output: OutputMode | undefined }[] {
  if (outputs.length === 0) return [{ label: 'collector', output: undefined }];
  return outputs.map((output) => ({ label: `collector[${output}]`, output }));
}
