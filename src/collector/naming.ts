/**
 * Topic-safe device names: `[a-z0-9_-]`, 1–64 characters. Names become MQTT topic levels, so
 * whatever a plug calls itself can never inject `+`, `#`, `/` or control characters into a topic.
 */
import { RESERVED_NAMES, RESERVED_OUTLET_NAMES } from '../reading.js';

/**
 * Turns an alias into a name: lower case, accents stripped, runs of anything else become `_`,
 * trimmed of `_` and `-` at the ends, cut to 64 characters.
 * @param text e.g. `"Küche Kühlschrank #2"`
 * @returns e.g. `"kuche_kuhlschrank_2"`, or `""` when nothing usable remains
 */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, 64);
}

/**
 * Chooses a device's name: configured `name`, else its alias slugified, else its MAC without
 * colons (lower case), else its address slugified (a plug never reached has neither).
 * @param configured the `devices[].name` from config, already validated
 * @param alias sysinfo `alias`
 * @param mac sysinfo `mac`
 * @param host configured host
 * @returns a string matching {@link NAME_PATTERN}
 */
export function deviceName(
  configured: string | undefined,
  alias: string | undefined,
  mac: string | undefined,
  host: string,
): string {
  if (configured) return configured;
  const fromAlias = alias ? slugify(alias) : '';
  if (fromAlias && !RESERVED_NAMES.includes(fromAlias)) return fromAlias;
  const fromMac = mac ? slugify(mac.replace(/[:-]/g, '')) : '';
  if (fromMac) return fromMac;
  return slugify(host) || 'plug';
}

/**
 * Chooses an outlet's name: configured, else its alias slugified (when not reserved and not
 * taken by an earlier outlet of the strip), else `outlet_<position>`.
 * @param configured `devices[].outlets[i].name`, already validated
 * @param alias the child's sysinfo `alias`
 * @param position 1-based outlet position
 * @param taken names earlier outlets of the same strip already use
 * @returns a string matching {@link NAME_PATTERN}, not in {@link RESERVED_OUTLET_NAMES}
 */
export function outletName(
  configured: string | undefined,
  alias: string | undefined,
  position: number,
  taken: ReadonlySet<string>,
): string {
  if (configured) return configured;
  const fromAlias = alias ? slugify(alias) : '';
  if (fromAlias && !RESERVED_OUTLET_NAMES.includes(fromAlias) && !taken.has(fromAlias))
    return fromAlias;
  let fallback = `outlet_${position}`;
  while (taken.has(fallback)) fallback += `_${position}`;
  return fallback;
}
