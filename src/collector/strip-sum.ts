/**
 * A power strip's own reading: the sum of its outlets'. The HS300 has no whole-strip meter: its
 * emeter answers per outlet (docs/protocol.md#power-strips).
 */
import type { Measurement } from '../reading.js';

const SUMMED = ['power', 'current', 'energy', 'energy_total'] as const;

/**
 * Sums the outlets' electrical values: power W, current A, energy and energy_total kWh; voltage
 * V is the outlets' mean (they share one supply); `state` is `ON` when any outlet is on (a strip
 * has no relay of its own; emonhub's default fields include a status, so the strip's frame needs
 * one). A field is present only when every outlet has
 * it, so a value the spike filter removed from one outlet never yields a low total (a dip in a
 * `total_increasing` energy looks like a meter reset to Home Assistant).
 * @param outlets the outlets' published values, in position order
 * @returns the sums (and state); empty when there are no outlets or no field every outlet has
 */
export function sumOutlets(outlets: readonly Measurement[]): Measurement {
  const out: Measurement = {};
  if (outlets.length === 0) return out;
  for (const field of SUMMED) {
    let sum = 0;
    let all = true;
    for (const o of outlets) {
      const v = o[field];
      if (v === undefined) {
        all = false;
        break;
      }
      sum += v;
    }
    if (all) out[field] = sum;
  }
  const states = outlets.map((o) => o.state);
  if (states.every((v) => v !== undefined)) out.state = states.includes('ON') ? 'ON' : 'OFF';
  const volts = outlets.map((o) => o.voltage);
  if (volts.every((v) => v !== undefined)) {
    out.voltage = (volts as number[]).reduce((a, b) => a + b, 0) / volts.length;
  }
  return out;
}
