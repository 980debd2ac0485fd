/**
 * Physical bounds on a normalized reading: the spike filter.
 *
 * Real plugs report impossible values now and then, and no library filters them
 * (docs/protocol.md#what-real-plugs-get-wrong): tens of MW for half a second
 * (softScheck/tplink-smartplug#39), more than 100 kW on a washing machine
 * (arteck/ioBroker.hs100#63). Published as is, one such value wrecks a graph's scale and an emonCMS
 * kWh feed integrated from power. So a value outside the configured bounds is removed from the
 * reading; the reading's other fields are still good and are still published (a field left out is
 * "not measured this tick", never 0, as everywhere else in the collector).
 *
 * Pure: no I/O, no logging; the collector logs and counts what this returns.
 */
import type { FilterConfig } from '../config/types.js';
import { maxLifetimeKWh } from '../energy/step.js';
import { copyValues, type Measurement } from '../reading.js';

/** The fields a plug measures and that the filter checks. `state` is never checked. */
export type BoundedField = 'power' | 'current' | 'voltage' | 'energy' | 'rssi';

/** One value the filter removed. */
export interface Rejection {
  field: BoundedField;
  /** The value as the plug reported it, in published units (W, A, V, kWh). */
  value: number;
  /** Why, for the log line, e.g. `above maxPower 4000 W`. */
  reason: string;
}

/** What {@link applyBounds} returns. */
export interface BoundsResult {
  /** A new object: the input minus the rejected fields. */
  values: Measurement;
  /** In {@link BOUNDED_FIELDS} order; empty (and shared) when the reading is plausible. */
  rejected: readonly Rejection[];
}

/** The checked fields, in the order rejections are reported. */
export const BOUNDED_FIELDS: readonly BoundedField[] = [
  'power',
  'current',
  'voltage',
  'energy',
  'rssi',
];

const UNIT: Readonly<Record<BoundedField, string>> = {
  power: 'W',
  current: 'A',
  voltage: 'V',
  energy: 'kWh',
  rssi: 'dBm',
};

/**
 * What a WiFi radio can report as its signal, dBm: 0 dBm (1 mW) is far above any received
 * signal, and below -120 dBm nothing is heard. Not configurable: physics, not an installation.
 */
export const RSSI_RANGE = { min: -120, max: 0 } as const;

/** Why `value` of `field` is implausible, or `undefined` when it is within bounds. */
function violation(field: BoundedField, value: number, b: FilterConfig): string | undefined {
  if (!Number.isFinite(value)) return 'not a finite number';
  if (field === 'rssi') {
    const { min, max } = RSSI_RANGE;
    return value < min || value > max ? `outside ${min}..${max} dBm` : undefined;
  }
  // A plug measures magnitudes: a negative voltage, current, power or since-boot counter is a
  // firmware glitch (and a negative energy is an error to Home Assistant's Energy dashboard,
  // docs/protocol.md#energy-since-boot).
  if (value < 0) return `negative ${field}`;
  const u = UNIT[field];
  switch (field) {
    case 'power':
      return value > b.maxPower ? `above maxPower ${b.maxPower} ${u}` : undefined;
    case 'current':
      return value > b.maxCurrent ? `above maxCurrent ${b.maxCurrent} ${u}` : undefined;
    case 'voltage':
      if (value < b.minVoltage) return `below minVoltage ${b.minVoltage} ${u}`;
      return value > b.maxVoltage ? `above maxVoltage ${b.maxVoltage} ${u}` : undefined;
    case 'energy': {
      // A jump in the since-boot counter is caught where deltas are known (src/energy/step.ts);
      // here only what no plug can have counted, so a glitched first reading never starts a total.
      const ceiling = maxLifetimeKWh(b.maxPower);
      return value > ceiling ? `above the lifetime ceiling ${ceiling} ${u}` : undefined;
    }
  }
}

/**
 * Removes the values outside physical bounds: power above `maxPower` W, current above
 * `maxCurrent` A, voltage outside [`minVoltage`, `maxVoltage`] V, energy above
 * `maxLifetimeKWh(maxPower)` kWh, and any negative (or non-finite) power, current, voltage or
 * energy. Bounds are inclusive: a value equal to a bound is kept. `rssi` is negative by nature
 * and must lie in -120..0 dBm; `state` is not a measurement and passes untouched, as does any
 * field absent from the input.
 *
 * @param values a normalized reading's values (W, A, V, kWh); not modified
 * @param bounds the `filter` config slice
 * @returns the values that survive, and one {@link Rejection} per removed value
 */
export function applyBounds(values: Measurement, bounds: FilterConfig): BoundsResult {
  let out: Measurement | undefined;
  let rejected: Rejection[] | undefined;
  for (let i = 0; i < BOUNDED_FIELDS.length; i++) {
    const field = BOUNDED_FIELDS[i] as BoundedField;
    const value = values[field];
    if (value === undefined) continue;
    const reason = violation(field, value, bounds);
    if (reason === undefined) continue;
    out ??= copyValues(values);
    delete out[field];
    (rejected ??= []).push({ field, value, reason });
  }
  // The common case, nothing removed: one copy and no array of its own.
  return { values: out ?? copyValues(values), rejected: rejected ?? NONE_REJECTED };
}

/** The rejections of a plausible reading (shared, never modified). */
const NONE_REJECTED: readonly Rejection[] = Object.freeze([]);
