/**
 * The made-up identity of a simulated device, derived from one seed so that the same alias gives
 * the same MAC, deviceId and hardware ids on every run. Shared by the IOT plugs (`plug.ts`,
 * `profiles.ts`) and the SMART ones (`smart-plug.ts`).
 */
import { createHash } from 'node:crypto';

/**
 * The identity seed of an alias (32-bit FNV-1a of its code points).
 * @param alias the device's user-given name
 * @returns an unsigned 32-bit seed
 */
export function seedOf(alias: string): number {
  let h = 2166136261;
  for (const ch of alias) h = Math.imul(h ^ (ch.codePointAt(0) as number), 16777619) >>> 0;
  return h;
}

/**
 * Upper-case hex digits derived from a seed and a salt (SHA-256, cut to length).
 * @param seed the device's identity seed
 * @param salt what the digits are for (`mac`, `dev`, `hw:<model>` …)
 * @param chars how many digits, at most 64
 */
export function hexOf(seed: number, salt: string, chars: number): string {
  return createHash('sha256').update(`${salt}:${seed}`).digest('hex').slice(0, chars).toUpperCase();
}

/**
 * The simulated deviceId of a seed: 40 upper-case hex digits (the length real plugs use).
 * @param seed the plug's identity seed
 */
export function deviceIdOf(seed: number): string {
  return hexOf(seed, 'dev', 40);
}

/**
 * Child ids as real strips form them: the parent's 40-hex deviceId plus a two-digit index
 * `00`…`05` (python-kasa's HS300 captures; the raw log in GadgetReactor/pyHS100#160).
 * @param seed the strip's identity seed
 * @param outlets number of outlets (at most 100)
 */
export function defaultChildIds(seed: number, outlets: number): string[] {
  const parent = deviceIdOf(seed);
  return Array.from({ length: outlets }, (_, i) => `${parent}${String(i).padStart(2, '0')}`);
}

/**
 * The MAC of a seed: the model's vendor prefix, then three bytes from the seed.
 * @param oui the vendor prefix, `AA:BB:CC`
 * @param seed the device's identity seed
 * @param sep between the six bytes: `:` (IOT sysinfo), `-` (SMART) or `` (a SMART strip's child)
 */
export function macOf(oui: string, seed: number, sep = ':'): string {
  const tail = hexOf(seed, 'mac', 6).match(/../g) ?? [];
  return [...oui.split(':'), ...tail].join(sep);
}
