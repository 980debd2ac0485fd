/**
 * The persisted form of the lifetime energy totals (`<state.dir>/energy-totals.json`) and the
 * key a device is filed under.
 *
 * ```json
 * {"version":1,"devices":{"8006…":{"total":123.456,"last":1.234,"updated":1700000010}}}
 * ```
 */
import type { PlugIdentity } from '../reading.js';
import type { DeviceTotal } from './step.js';

/** File name inside `state.dir`. */
export const TOTALS_FILE = 'energy-totals.json';

/** Format version; a file with another version is treated as corrupt (set aside, not guessed at). */
export const TOTALS_VERSION = 1;

/** The whole file. */
export interface TotalsDocument {
  version: typeof TOTALS_VERSION;
  /** Per device key (see {@link totalsKey}). */
  devices: Record<string, DeviceTotal>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonNegative(entry: Record<string, unknown>, key: string, where: string): number {
  const v = entry[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new Error(`${where}.${key} is ${JSON.stringify(v) ?? String(v)}, expected a number ≥ 0`);
  }
  return v;
}

/**
 * Checks a parsed file (the `validate` of its `JsonFile`).
 * @param raw `JSON.parse` of the file
 * @returns the document, devices as own properties of a fresh object
 * @throws Error naming the first thing wrong (the file is then set aside)
 */
export function validateTotals(raw: unknown): TotalsDocument {
  if (!isRecord(raw)) throw new Error('energy totals: not a JSON object');
  if (raw['version'] !== TOTALS_VERSION) {
    throw new Error(`energy totals: version ${JSON.stringify(raw['version'])} is not 1`);
  }
  const devices = raw['devices'];
  if (!isRecord(devices)) throw new Error('energy totals: "devices" is not an object');
  const out: [string, DeviceTotal][] = [];
  for (const [key, entry] of Object.entries(devices)) {
    const where = `energy totals: devices[${JSON.stringify(key)}]`;
    if (!isRecord(entry)) throw new Error(`${where} is not an object`);
    out.push([
      key,
      {
        total: nonNegative(entry, 'total', where),
        last: nonNegative(entry, 'last', where),
        updated: nonNegative(entry, 'updated', where),
      },
    ]);
  }
  return { version: TOTALS_VERSION, devices: Object.fromEntries(out) };
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
