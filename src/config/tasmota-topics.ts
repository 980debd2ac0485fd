/**
 * With `mqtt.format: "tasmota"` every device publishes under ONE topic level,
 * `tele/<topic>/…` (Tasmota's `%topic%`): a plug under its name, a strip's outlet under
 * `<strip>_<outlet>` (`src/sinks/tasmota/topics.ts`). So a plug named `desk_lamp` and the outlet
 * `lamp` of a strip named `desk` would write the same `tele/desk_lamp/SENSOR`, and neither's
 * data could be told apart. The default layout nests outlets (`<p>/<strip>/<outlet>`) and cannot
 * clash this way. Pure: the loader calls it once the `devices` array is valid.
 *
 * Only configured names can be compared; a name the collector takes from an alias at run time
 * is not known here.
 */
import type { DeviceConfig } from './types.js';

/** One clash: where in `devices` it is found, and what to say. */
export interface TasmotaClash {
  /** The later entry, e.g. `devices[3].name` or `devices[1].outlets[0].name`. */
  key: string;
  message: string;
}

/** The Tasmota topic of a configured plug or outlet, when its names are configured. */
function topicsOf(d: DeviceConfig, i: number): { topic: string; where: string; key: string }[] {
  const out: { topic: string; where: string; key: string }[] = [];
  if (d.name === undefined) return out;
  out.push({ topic: d.name, where: `devices[${i}]`, key: `devices[${i}].name` });
  d.outlets?.forEach((o, j) => {
    if (o.name === undefined) return;
    out.push({
      topic: `${d.name}_${o.name}`,
      where: `devices[${i}].outlets[${j}] (outlet ${j + 1} of "${d.name}")`,
      key: `devices[${i}].outlets[${j}].name`,
    });
  });
  return out;
}

/**
 * The configured plugs and strip outlets whose Tasmota topics are equal.
 * @param devices the validated `devices`
 * @returns one clash per entry that repeats an earlier entry's topic, naming both entries
 */
export function tasmotaTopicClashes(devices: readonly DeviceConfig[]): TasmotaClash[] {
  const first = new Map<string, string>();
  const clashes: TasmotaClash[] = [];
  devices.forEach((d, i) => {
    for (const { topic, where, key } of topicsOf(d, i)) {
      const earlier = first.get(topic);
      if (earlier === undefined) {
        first.set(topic, where);
        continue;
      }
      clashes.push({
        key,
        message:
          `${where} and ${earlier} would both publish to tele/${topic}/… with mqtt.format ` +
          '"tasmota" (an outlet\'s topic is <strip>_<outlet>); rename one of them',
      });
    }
  });
  return clashes;
}
