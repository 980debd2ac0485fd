/**
 * Whether two readings describe the same device the same way: what the messages built once per
 * device (`info`, HA discovery) are built from. Every poll brings a new identity object that is
 * nearly always equal to the last; comparing is far cheaper than rebuilding and stringifying.
 */
import type { Reading } from '../../reading.js';

/** What a per-device message is built from: the plug's identity, the device, a strip's outlet count. */
export type DeviceSource = Pick<Reading, 'identity' | 'device' | 'outletCount'>;

/**
 * Own enumerable keys equal and their values `===`, but for `outlet` (a strip outlet's
 * {@link OutletInfo}), compared the same way one level down. Runs twice per reading (`info`, HA
 * discovery): it walks the keys with `for...in` (plain objects, nothing inherited) rather than
 * allocating `Object.keys` arrays.
 */
function sameRecord(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let keys = 0;
  for (const k in ra) {
    keys++;
    const va = ra[k];
    const vb = rb[k];
    if (va === vb) continue;
    if (k !== 'outlet' || !sameRecord(va as object | undefined, vb as object | undefined))
      return false;
  }
  for (const _key in rb) keys--;
  return keys === 0;
}

/**
 * True when `reading` has the same identity (alias, model, versions, MAC, deviceId), device
 * (name, host, port, node, control, outlet) and outlet count as `source`, so any message built
 * from them alone would be the same.
 * @param source what the last message was built from
 * @param reading the new reading
 */
export function sameDeviceSource(source: DeviceSource, reading: DeviceSource): boolean {
  return (
    source.outletCount === reading.outletCount &&
    sameRecord(source.identity, reading.identity) &&
    sameRecord(source.device, reading.device)
  );
}
