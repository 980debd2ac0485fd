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
 * {@link OutletInfo}), compared the same way one level down.
 */
function sameRecord(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const va = (a as Record<string, unknown>)[k];
    const vb = (b as Record<string, unknown>)[k];
    if (va === vb) continue;
    if (k !== 'outlet' || !sameRecord(va as object | undefined, vb as object | undefined))
      return false;
  }
  return true;
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
