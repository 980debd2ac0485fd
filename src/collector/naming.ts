/**
 * Topic-safe device names: `[a-z0-9_-]`, 1–64 characters. Names become MQTT topic levels, so
 * whatever a plug calls itself can never inject `+`, `#`, `/` or control characters into a topic.
 */
import { macHex, RESERVED_NAMES, RESERVED_OUTLET_NAMES, type PlugIdentity } from '../reading.js';

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

/** Longest name: a topic level the config and the slugs both cap at 64 characters. */
const MAX_NAME = 64;

/** `base_suffix`, `base` cut so the whole fits {@link MAX_NAME}; `''` without a suffix. */
function suffixed(base: string, suffix: string): string {
  if (suffix === '' || suffix === base) return '';
  const head = base.slice(0, Math.max(1, MAX_NAME - suffix.length - 1)).replace(/[_-]+$/, '');
  return `${head}_${suffix}`.slice(0, MAX_NAME);
}

/** The alias slugified, when it may be a name (not empty, not reserved). */
function aliasSlug(alias: string | undefined): string {
  const slug = alias ? slugify(alias) : '';
  return slug !== '' && !RESERVED_NAMES.includes(slug) ? slug : '';
}

/** The last 12 characters of the deviceId slugified: enough to tell plugs apart in a name. */
function deviceIdTail(deviceId: string | undefined): string {
  return slugify(deviceId ?? '').slice(-12);
}

/**
 * Chooses a device's name on its own, without looking at other devices: configured `name`,
 * else its alias slugified, else its MAC's hex digits, else its address slugified (a plug never
 * reached has neither). The collector picks among {@link derivedNames} instead, so that no two
 * devices share a name; this is for listings (`discover`).
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
  return aliasSlug(alias) || macHex(mac) || slugify(host) || 'plug';
}

/**
 * The names a device without a configured `name` may take, best first. The base is its alias
 * slugified, else its MAC's hex digits, else the tail of its deviceId, else its host slugified;
 * when the base is taken, the same base with a suffix that only this plug has: its MAC, then its
 * deviceId's tail, then its `host_port`. So the name a clash gives is the same whichever plug
 * answers first, as long as the plug with the bare name keeps it.
 * @param identity what the plug says about itself (alias, MAC, deviceId)
 * @param host configured host
 * @param port configured port
 * @returns candidates matching {@link NAME_PATTERN}, without duplicates (never empty)
 */
export function derivedNames(identity: PlugIdentity, host: string, port: number): string[] {
  const mac = macHex(identity.mac);
  const id = deviceIdTail(identity.deviceId);
  const address = slugify(`${host}_${port}`);
  const base = aliasSlug(identity.alias) || mac || id || slugify(host) || address || 'plug';
  const all = [base, suffixed(base, mac), suffixed(base, id), suffixed(base, address)];
  return [...new Set(all.filter((n) => n !== ''))];
}

/**
 * The names a device stands in under before its first answer (only its availability can be
 * published by then): its host slugified, else `host_port`.
 * @param host configured host
 * @param port configured port
 */
export function addressNames(host: string, port: number): string[] {
  const all = [slugify(host) || 'plug', slugify(`${host}_${port}`)];
  return [...new Set(all.filter((n) => n !== ''))];
}

/**
 * The first candidate that is neither taken nor reserved; when all are, the first candidate with
 * `_2`, `_3`, … added (cut to fit 64 characters), so a name is always found.
 * @param candidates from {@link derivedNames} or {@link addressNames}; at least one
 * @param taken names other devices use (configured, settled or standing in)
 */
export function firstFree(candidates: readonly string[], taken: ReadonlySet<string>): string {
  const free = (n: string): boolean => !taken.has(n) && !RESERVED_NAMES.includes(n);
  const found = candidates.find(free);
  if (found !== undefined) return found;
  const base = candidates[0] ?? 'plug';
  for (let i = 2; ; i++) {
    const name = suffixed(base, String(i));
    if (free(name)) return name;
  }
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
