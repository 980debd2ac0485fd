/**
 * The energy methods of a simulated SMART plug or strip outlet, as the devices count
 * (python-kasa `smart/modules/energy.py`): `today_energy` and `month_energy` in Wh since the
 * device's local midnight and the first of the month (they reset then), `current_power` in mW in
 * `get_energy_usage`, in whole W in `get_current_power`; `get_emeter_data` (profiles with it) in
 * mV, mA, mW and Wh. No I/O: the caller passes the sample and the local time.
 */
import type { Json } from '../kasa/protocol/json.js';
import type { LoadSample } from './load.js';
import { UNKNOWN_METHOD, type SmartAnswer } from './smart-answer.js';
import type { SmartProfile } from './smart-profiles.js';

/** Day and month counters of one outlet's energy. */
interface Counters {
  day: string;
  dayStartKWh: number;
  month: string;
  monthStartKWh: number;
}

/** The day and month counters of each unit (a plug's one, a strip's outlets). */
export class EnergyCounters {
  readonly #counters: (Counters | undefined)[] = [];

  /**
   * Unit `i`'s counters, rolled over when the local day or month changed since the last call.
   * @param i the unit, 0-based
   * @param energyKWh the unit's energy since boot now, kWh
   * @param localIso the device's local time now, ISO 8601 (`YYYY-MM-DDTHH:MM:SS…`)
   */
  at(i: number, energyKWh: number, localIso: string): Readonly<Counters> {
    const day = localIso.slice(0, 10);
    const month = localIso.slice(0, 7);
    let c = this.#counters[i];
    if (c === undefined) {
      c = { day, dayStartKWh: 0, month, monthStartKWh: 0 };
      this.#counters[i] = c;
    }
    if (c.day !== day) {
      c.day = day;
      c.dayStartKWh = energyKWh;
    }
    if (c.month !== month) {
      c.month = month;
      c.monthStartKWh = energyKWh;
    }
    return c;
  }
}

/** What one energy method needs of the unit it asks. */
export interface EnergyUnit {
  /** What the meter measures now: V, A, W, kWh since boot. */
  sample: LoadSample;
  /** The unit's counters now (see {@link EnergyCounters.at}). */
  counters: Readonly<Counters>;
  /** Seconds the relay has been on. */
  onTimeS: number;
  /** The device's local time, `YYYY-MM-DD HH:MM:SS`. */
  localTime: string;
  /** Whether the unit is a strip's outlet (P304M: no `current_power` in `get_energy_usage`). */
  outlet: boolean;
}

/**
 * Answers one energy method of a unit.
 * @param profile the model (its `energy` version and `emeterData`)
 * @param method `get_energy_usage`, `get_current_power` or `get_emeter_data`
 * @param unit the unit's sample, counters and time
 * @returns the answer; UNKNOWN_METHOD for a method the model does not have
 */
export function energyAnswer(profile: SmartProfile, method: string, unit: EnergyUnit): SmartAnswer {
  const { energy, emeterData } = profile;
  const { sample: s, counters: c } = unit;
  if (energy === 0) return UNKNOWN_METHOD;
  if (method === 'get_energy_usage') {
    const usage: Json = {
      today_runtime: Math.floor(unit.onTimeS / 60),
      month_runtime: Math.floor(unit.onTimeS / 60),
      today_energy: Math.floor((s.energy - c.dayStartKWh) * 1000),
      month_energy: Math.floor((s.energy - c.monthStartKWh) * 1000),
      local_time: unit.localTime,
    };
    if (energy > 1) usage['electricity_charge'] = [0, 0, 0];
    // A P304M outlet leaves current_power out of get_energy_usage (python-kasa energy.py).
    if (!unit.outlet) usage['current_power'] = Math.round(s.power * 1000);
    return { error_code: 0, result: usage };
  }
  if (method === 'get_current_power' && energy > 1)
    return { error_code: 0, result: { current_power: Math.round(s.power) } };
  if (method === 'get_emeter_data' && energy > 1 && emeterData) {
    return {
      error_code: 0,
      result: {
        voltage_mv: Math.round(s.voltage * 1000),
        current_ma: Math.round(s.current * 1000),
        power_mw: Math.round(s.power * 1000),
        energy_wh: Math.floor((s.energy - c.monthStartKWh) * 1000),
      },
    };
  }
  return UNKNOWN_METHOD;
}
