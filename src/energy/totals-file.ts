/**
 * The persisted form of the lifetime energy totals (`<state.dir>/energy-totals.json`) and the
 * key a device is filed under.
 *
 * ```json
 * {"version":1,"devices":{"8006…":{"total":123.456,"last":1.234,"updated":1700000010,"ceiling":123.47}}}
 * ```
 */
import type { PlugIdentity } from '../reading.js';
import type { DeviceTotal } from './step.js';

/** File name inside `state.dir`. */
export const TOTALS_FILE = 'energy-totals.json';

/**
 * Format version; a file with another version is treated as corrupt (set aside, not guessed at).
 * `ceiling` and `floor` were added within version 1: a file without them reads as before.
 */
export const TOTALS_VERSION = 1;

/** The whole file. */
export interface TotalsDocument {
  version: typeof TOTALS_VERSION;
  /**
   * Per device key (see {@link totalsKey}); `ceiling` is written for every device (the bound
   * on what may be published before the next write), `floor` when set.
   */
  devices: Record<string, DeviceTotal>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A number in `[0, max]`, or throws naming the field. */
function inRange(entry: Record<string, unknown>, key: string, max: number): number {
  const v = entry[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
    const range = max === Infinity ? '≥ 0' : `from 0 to ${max}`;
    throw new Error(`${key} is ${JSON.stringify(v) ?? String(v)}, expected a number ${range}`);
  }
  return v;
}

/**
 * One device's entry, checked: `total`, `last` and `updated` numbers ≥ 0, the two energies at
 * most `maxKWh`; `ceiling` and `floor` optional, in the same range (a `ceiling` below `total`
 * is raised to it: it can only be meant as "nothing published above the total").
 * @throws Error saying which field is wrong
 */
export function parseTotalEntry(raw: unknown, maxKWh = Infinity): DeviceTotal {
  if (!isRecord(raw)) throw new Error('not an object');
  const entry: DeviceTotal = {
    total: inRange(raw, 'total', maxKWh),
    last: inRange(raw, 'last', maxKWh),
    updated: inRange(raw, 'updated', Infinity),
  };
  if (raw['floor'] !== undefined) {
    const floor = inRange(raw, 'floor', maxKWh);
    if (floor > entry.total) entry.floor = floor;
  }
  if (raw['ceiling'] !== undefined) {
    entry.ceiling = Math.max(inRange(raw, 'ceiling', maxKWh), entry.total);
  }
  return entry;
}

/** A file's entries, the bad ones left out. */
export interface ParsedTotals {
  devices: Map<string, DeviceTotal>;
  /** Entries left out, with why. */
  dropped: { key: string; reason: string }[];
}

/**
 * Checks a parsed file (the `validate` of its `JsonFile`), entry by entry: a bad entry is left
 * out and reported, the others are kept, so one hand-edited or glitched device never costs the
 * others their totals.
 * @param raw `JSON.parse` of the file
 * @param maxKWh the largest plausible total or counter (`maxLifetimeKWh`); default unbounded
 * @returns the good entries and the dropped ones
 * @throws Error when the document itself is wrong (not an object, another version, no
 *   `devices` object): the file is then set aside
 */
export function validateTotals(raw: unknown, maxKWh = Infinity): ParsedTotals {
  if (!isRecord(raw)) throw new Error('energy totals: not a JSON object');
  if (raw['version'] !== TOTALS_VERSION) {
    throw new Error(`energy totals: version ${JSON.stringify(raw['version'])} is not 1`);
  }
  const devices = raw['devices'];
  if (!isRecord(devices)) throw new Error('energy totals: "devices" is not an object');
  const out: ParsedTotals = { devices: new Map(), dropped: [] };
  for (const [key, entry] of Object.entries(devices)) {
    try {
      out.devices.set(key, parseTotalEntry(entry, maxKWh));
    } catch (err) {
      out.dropped.push({ key, reason: (err as Error).message });
    }
  }
  return out;
}

/**
 * The key a device's total is filed under: its `deviceId`, else its MAC (upper case), else
 * `host:port`. The first two are the plug's own and stay the same when DHCP hands it a new
 * address or the user renames it, so its lifetime total follows the plug, not the config entry.
 * @param identity what the plug said about itself in this reading
 * @param host configured host
 * @param port configured port
 */
export function totalsKey(identity: PlugIdentity, host: string, port: number): string {
  if (identity.deviceId) return identity.deviceId;
  if (identity.mac) return identity.mac.toUpperCase();
  return `${host}:${port}`;
}
