/**
 * From SMART answers to measurements, shared by the plug (`smart-device.ts`) and strip
 * (`smart-strip.ts`) reads: which energy answers count, and a wrongly typed field as
 * PLUG_BAD_REPLY.
 */
import { PlugError, PlugErrorCode } from '../errors.js';
import { ReplyFieldError, type SmartEnergyAnswers } from './normalize.js';
import { answerKind, type MethodAnswer } from './protocol/smart.js';

/**
 * The energy answers that succeeded, by kind.
 * @param answers the `multipleRequest` answers
 * @param methods the energy methods asked
 * @param drop told of each method the device lacks ("unknown method", "params error"), so it is
 *   not asked again
 * @returns `get_emeter_data`, `get_energy_usage` and `get_current_power` results, where they came
 */
export function energyAnswers(
  answers: Map<string, MethodAnswer>,
  methods: readonly string[],
  drop: (method: string) => void,
): SmartEnergyAnswers {
  const out: SmartEnergyAnswers = {};
  for (const m of methods) {
    const a = answers.get(m);
    const kind = answerKind(a);
    if (kind === 'unsupported') drop(m);
    if (kind !== 'ok' || a?.result === undefined) continue;
    if (m === 'get_emeter_data') out.emeterData = a.result;
    else if (m === 'get_energy_usage') out.energyUsage = a.result;
    else if (m === 'get_current_power') out.currentPower = a.result;
  }
  return out;
}

/**
 * Runs a normalizing step.
 * @param target what the error names (`host:port`, or an outlet)
 * @param fn the step
 * @returns what it returns
 * @throws PlugError PLUG_BAD_REPLY for a field of the wrong type (`ReplyFieldError`); any
 *   other error unchanged
 */
export function guard<T>(target: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ReplyFieldError) {
      throw new PlugError(PlugErrorCode.BAD_REPLY, target, err.message, err);
    }
    throw err;
  }
}
