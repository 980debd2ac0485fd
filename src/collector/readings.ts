/**
 * The step from one good poll to what the sinks get. A plug's sample becomes one reading. A
 * power strip's becomes one reading per outlet (`<p>/<strip>/<outlet>`, each with its own spike
 * filter, lifetime total and emonhub node), then the strip's own, its values the sums of the
 * outlets' published ones (`strip-sum.ts`), so a value the filter removed from one outlet never
 * yields a low total.
 *
 * Pure: no I/O, no logging, no clock. What the bounds removed comes back for the collector to
 * log and count; how the lifetime totals move comes back for it to commit
 * (`EnergyTotals.commit`), computed from the totals as they stand (`EnergyTotals.preview`,
 * which changes nothing).
 */
import type { FilterConfig } from '../config/types.js';
import { publishedTotal, type StepResult } from '../energy/step.js';
import type { DeviceSample } from '../kasa/device.js';
import {
  copyValues,
  type DeviceInfo,
  type Measurement,
  type PlugIdentity,
  type Reading,
} from '../reading.js';
import { applyBounds, type Rejection } from './bounds.js';
import { sumOutlets } from './strip-sum.js';

/** One good poll of one device, once its names are settled. */
export interface PolledSample {
  /** Unix s: the tick, or the current second for the re-poll after a relay command. */
  time: number;
  /** The device as sinks address it. */
  device: DeviceInfo;
  /** What the poll read (V, A, W, kWh, dBm, ON/OFF); not modified. */
  sample: DeviceSample;
  /**
   * A strip's outlets as sinks address them, one per `sample.outlets` entry and in the same
   * order; empty for a plug.
   */
  outlets: readonly DeviceInfo[];
  /** The device's key in the lifetime totals (`totalsKey()`); an outlet's is `<key>/<position>`. */
  totalsKey: string;
}

/** The lifetime totals as this step reads them: what a step would be, nothing changed. */
export interface TotalsPreview {
  /** `EnergyTotals.preview`: the step for `energy` kWh at `time` (unix s) under `key`. */
  preview(key: string, energy: number, time: number): StepResult;
}

/** What the values go through; each rule is off when absent. */
export interface ReadingRules {
  /** Physical bounds (the `filter` slice): values outside them are removed. */
  filter?: FilterConfig;
  /** Lifetime energy counters: a reading whose `energy` survived gets `energy_total`. */
  totals?: TotalsPreview;
}

/** A value the bounds removed, and from which device or outlet. */
export interface DeviceRejection extends Rejection {
  device: DeviceInfo;
}

/** A move of one lifetime total, for the caller to commit. */
export interface TotalStep {
  key: string;
  step: StepResult;
}

/** What {@link pollReadings} returns. */
export interface PollReadings {
  /** To write, in order: a plug's reading; or a strip's outlets' (by position), then its own. */
  readings: Reading[];
  /**
   * Values the bounds removed, in reading order (fields in `BOUNDED_FIELDS` order); a strip's
   * own `rssi` first, once (its outlets carry the strip's).
   */
  rejections: DeviceRejection[];
  /** One step per reading whose `energy` survived the bounds, in reading order. */
  totals: TotalStep[];
}

/**
 * Turns one good poll into the readings to write.
 *
 * Each outlet's reading carries the strip's identity with the outlet's own alias (none when the
 * outlet has none) and the strip's `rssi` (its WiFi is the strip's; emonhub frames need it).
 * The strip's reading keeps its own values (`rssi`) and adds the sums of the outlets' published
 * values; `outletCount` marks it, so sinks that aggregate skip it. A rejected `energy` gets no
 * `energy_total`: a total computed from a glitch could never be taken back.
 *
 * @param poll the device, its sample, its outlets' infos, the time and its totals key
 * @param rules bounds and lifetime totals; none: values go out as the plug sent them
 * @returns readings, rejections and total steps; nothing of the input is modified
 * @throws RangeError when `poll.outlets` does not match `poll.sample.outlets` (a caller's bug)
 */
export function pollReadings(poll: PolledSample, rules: ReadingRules = {}): PollReadings {
  const out: PollReadings = { readings: [], rejections: [], totals: [] };
  const { time, device, sample } = poll;
  const { identity, hasEmeter } = sample;
  if (sample.outlets === undefined) {
    const values = checkedValues(device, poll.totalsKey, time, sample.values, rules, out);
    out.readings = [{ time, device, identity, values, hasEmeter }];
    return out;
  }
  const checked = (info: DeviceInfo, key: string, raw: Measurement): Measurement =>
    checkedValues(info, key, time, raw, rules, out);
  if (poll.outlets.length !== sample.outlets.length) {
    throw new RangeError(
      `${poll.outlets.length} outlet infos for the ${sample.outlets.length} outlets of ${device.name}`,
    );
  }
  // The strip's WiFi signal is checked once, as the strip's, before its outlets carry it.
  const { rssi: rawRssi, ...stripOwn } = sample.values;
  const { rssi } = rawRssi === undefined ? {} : checked(device, poll.totalsKey, { rssi: rawRssi });
  const published: Measurement[] = [];
  sample.outlets.forEach((o, i) => {
    const info = poll.outlets[i] as DeviceInfo;
    const own: PlugIdentity = Object.assign({}, identity);
    if (o.alias !== undefined) own.alias = o.alias;
    else delete own.alias;
    const raw = rssi === undefined ? o.values : Object.assign(copyValues(o.values), { rssi });
    const values = checked(info, `${poll.totalsKey}/${o.position}`, raw);
    published.push(values);
    out.readings.push({ time, device: info, identity: own, values, hasEmeter });
  });
  const values = copyValues(stripOwn);
  if (rssi !== undefined) values.rssi = rssi;
  Object.assign(values, sumOutlets(published));
  const outletCount = sample.outlets.length;
  out.readings.push({ time, device, identity, values, hasEmeter, outletCount });
  return out;
}

/**
 * A reading's values as published: spikes removed (recorded in `out.rejections`), then the
 * lifetime `energy_total` added when `energy` survived (its step recorded in `out.totals`).
 * @returns a new object; `raw` is not modified
 */
function checkedValues(
  device: DeviceInfo,
  key: string,
  time: number,
  raw: Measurement,
  rules: ReadingRules,
  out: PollReadings,
): Measurement {
  let values: Measurement;
  if (rules.filter) {
    const bounded = applyBounds(raw, rules.filter);
    values = bounded.values;
    for (const r of bounded.rejected) out.rejections = append(out.rejections, { device, ...r });
  } else {
    values = copyValues(raw);
  }
  const { energy } = values;
  if (rules.totals && energy !== undefined && Number.isFinite(energy) && energy >= 0) {
    const step = rules.totals.preview(key, energy, time);
    out.totals = append(out.totals, { key, step });
    values.energy_total = publishedTotal(step.entry);
  }
  return values;
}

/**
 * `list` with `item` at its end: pushed, or a new one-element array when `list` is empty (an
 * array literal holds exactly its elements; the first push onto `[]` reserves room for 16
 * more, and most polls add one total and no rejection).
 */
function append<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}
