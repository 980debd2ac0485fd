/**
 * The strict line builder for emonhub's socket interfacer: a safety requirement, not a
 * formatting nicety. A malformed frame (empty line, non-integer node such as `27.0`, a leading
 * space, tabs, a non-UTF-8 byte) kills emonhub's socket thread until emonhub restarts
 * (`EmonHubSocketInterfacer.read` raises, and `EmonHubInterfacer.run` in emonhub's
 * `emonhub_interfacer.py` then ends the thread; docs/emonhub.md), so every frame is checked here
 * and a bad one throws instead of going out.
 *
 * Wire format (emonhub `EmonHubSocketInterfacer.read`): one `recv(1024)` per connection,
 * appended to a buffer that is split on `\r\n`; fields split on ONE space; with
 * `timestamped = True` the first field is the time, then `int(node)`, then values each parsed by
 * `float()` (`emonhub_interfacer._process_rx`, which also discards a frame with no values).
 */
import type { MeasurementField, Reading } from '../../reading.js';

/** Largest node id accepted. */
export const MAX_NODE = 255;

/** Frames must stay below emonhub's single `recv(1024)`: the rest of a longer one is lost. */
export const MAX_FRAME_BYTES = 1024;

/**
 * Values must stay below this magnitude. No plug measures anything near it, so a bigger value
 * is a bug upstream; and staying far below 1e21 keeps `toFixed` out of exponent notation.
 */
export const MAX_ABS_VALUE = 1e15;

/** Decimal places kept in a value (trailing zeros trimmed). */
export const VALUE_DECIMALS = 6;

/** What {@link buildFrame} needs. */
export interface FrameInput {
  /** Unix seconds, a positive integer (the reading's tick). Checked even when not sent. */
  time: number;
  /**
   * emonhub node id, an integer 0..255. emonhub itself only requires `int(node)` to parse;
   * RF node ids (JeeLib, emonhub's OEM/Jee interfacers) are one byte, and emonCMS users know
   * node ids as small integers, so the one-byte range is what we accept.
   */
  node: number;
  /** Values in the configured field order; finite, |v| < {@link MAX_ABS_VALUE}; at least one. */
  values: readonly number[];
  /** Put the time first (emonhub interfacer setting `timestamped = True`). */
  timestamped: boolean;
}

/**
 * Formats one value as plain decimal: at most {@link VALUE_DECIMALS} places, trailing zeros and
 * a trailing dot removed, never an exponent, never `-0` (`-0.0000001` → `0`).
 * @param v a finite number with |v| < {@link MAX_ABS_VALUE}
 * @returns e.g. `230.1`, `0.000123`, `-5`, `0`
 * @throws Error when `v` is not finite or too large
 */
export function formatValue(v: number): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`emonhub value ${String(v)} is not a finite number`);
  }
  if (Math.abs(v) >= MAX_ABS_VALUE) {
    throw new Error(`emonhub value ${String(v)} is out of range (|v| must be < ${MAX_ABS_VALUE})`);
  }
  let s = v.toFixed(VALUE_DECIMALS);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/**
 * Builds one frame: `"<time> <node> <v1> ... <vn>\r\n"` (time only when `timestamped`).
 * Exactly one space between fields, no leading or trailing space, ASCII, `\r\n` once at the end.
 * @param input time, node, values, timestamped
 * @returns the frame, shorter than {@link MAX_FRAME_BYTES} bytes
 * @throws Error (message says which rule) when the time is not a positive integer, the node is
 *   not an integer 0..255, there are no values, a value is not finite or is out of range, or the
 *   frame would be too long
 */
export function buildFrame(input: FrameInput): string {
  const { time, node, values, timestamped } = input;
  if (!Number.isSafeInteger(time) || time <= 0) {
    throw new Error(`emonhub frame time ${String(time)} is not a positive integer (unix seconds)`);
  }
  if (!Number.isInteger(node) || node < 0 || node > MAX_NODE) {
    throw new Error(`emonhub node ${String(node)} is not an integer 0..${MAX_NODE}`);
  }
  if (values.length === 0) throw new Error(`emonhub frame for node ${node} has no values`);
  const fields = values.map((v, i) => {
    try {
      return formatValue(v);
    } catch (err) {
      throw new Error(`emonhub node ${node} value #${i + 1}: ${(err as Error).message}`);
    }
  });
  const parts = timestamped ? [String(time), String(node), ...fields] : [String(node), ...fields];
  const frame = `${parts.join(' ')}\r\n`;
  // By construction the frame is ASCII digits, '-', '.', ' ' and CRLF; assert it anyway so a
  // future change to the formatting can never put a byte on the wire that kills emonhub.
  if (!/^[0-9. -]+\r\n$/.test(frame) || / {2}|^ | \r\n$/.test(frame)) {
    throw new Error(`emonhub frame ${JSON.stringify(frame)} is malformed`);
  }
  if (frame.length >= MAX_FRAME_BYTES) {
    throw new Error(
      `emonhub frame for node ${node} is ${frame.length} bytes; it must be < ${MAX_FRAME_BYTES}`,
    );
  }
  return frame;
}

/**
 * Picks the configured fields of a reading, in order, as numbers for a frame. `state` maps
 * `"ON"` → 1 and `"OFF"` → 0 (the community node config's `Status`, docs/emonhub.md);
 * `energy_total` is the collector's lifetime kWh, present only when the collector keeps totals
 * and the plug's `energy` passed the spike filter (else the frame is skipped as missing a field).
 * @param reading a normalized reading
 * @param fields field order from `emonhub.fields`
 * @returns the values, or the fields the reading lacks (a non-finite number counts as missing):
 *   a frame with a gap would shift every later value into the wrong emonCMS input
 */
export function readingToValues(
  reading: Reading,
  fields: readonly MeasurementField[],
): number[] | { missing: MeasurementField[] } {
  const values: number[] = [];
  const missing: MeasurementField[] = [];
  for (const field of fields) {
    if (field === 'state') {
      const s = reading.values.state;
      if (s === undefined) missing.push(field);
      else values.push(s === 'ON' ? 1 : 0);
      continue;
    }
    const v = reading.values[field];
    if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
    else missing.push(field);
  }
  return missing.length > 0 ? { missing } : values;
}
