/**
 * Pure value checks for the configuration schema. Each check returns the problems it finds as
 * sentences a user can act on ("must be an integer ≥ 1, got 0"); an empty list means the value is
 * fine. No I/O, no convict: the schema wires these in as formats, and tests call them directly.
 */
import { isIPv6 } from 'node:net';

/**
 * One problem with one value. `path` continues the key the check is attached to, for checks of
 * arrays of objects: `[2].node` under `devices` reads `devices[2].node`.
 */
export interface Issue {
  path?: string;
  message: string;
}

/** A value check: the problems found in `value`, empty when it is valid. */
export type Check = (value: unknown) => Issue[];

/** True for `{…}` values (not arrays, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a bad value is quoted in messages: JSON, shortened; objects and arrays by kind only. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (isPlainObject(value)) return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function when(bad: boolean, message: string): Issue[] {
  return bad ? [{ message }] : [];
}

/** An integer in `min..max` (inclusive); `max` absent: no upper bound. */
export function integer(min: number, max?: number): Check {
  const range = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
  return (v) =>
    when(
      typeof v !== 'number' || !Number.isInteger(v) || v < min || (max !== undefined && v > max),
      `must be an integer ${range}, got ${show(v)}`,
    );
}

/** A finite number strictly above `min`. */
export function numberAbove(min: number): Check {
  return (v) =>
    when(
      typeof v !== 'number' || !Number.isFinite(v) || v <= min,
      `must be a number > ${min}, got ${show(v)}`,
    );
}

/** `true` or `false` (JSON booleans, not strings). */
export const boolean: Check = (v) =>
  when(typeof v !== 'boolean', `must be true or false, got ${show(v)}`);

/** Any string, possibly empty. */
export const string: Check = (v) => when(typeof v !== 'string', `must be a string, got ${show(v)}`);

/** A string never quoted back: a bad value is a secret typed into the wrong place. */
export const secret: Check = (v) =>
  when(typeof v !== 'string', `must be a string (the value is not shown: it is a secret)`);

/**
 * A host name or IP address as `net.connect` and `server.listen` take it: non-empty, no
 * whitespace, an IPv6 address without brackets (`::1`; brackets are URL syntax, and a host
 * `[::1]` does not resolve), no `:port` (each host key has a port key beside it).
 */
export const host: Check = (v) => {
  if (typeof v !== 'string' || !/^\S+$/.test(v)) {
    return [{ message: `must be an IP address or host name, got ${show(v)}` }];
  }
  const bracketed = /^\[([^\]]*)\](:\d*)?$/.exec(v);
  if (bracketed) {
    const bare = JSON.stringify(bracketed[1]);
    return [
      {
        message: `must be written without brackets, e.g. ${bare} (brackets are for URLs; a port goes in its own key), got ${show(v)}`,
      },
    ];
  }
  return when(
    v.includes(':') && !isIPv6(v),
    `must be an IP address or host name without a port (the port goes in its own key), got ${show(v)}`,
  );
};

/** One of `values` (compared with `===`). */
export function oneOf(values: readonly unknown[]): Check {
  const list = values.map((x) => JSON.stringify(x)).join(', ');
  return (v) => when(!values.includes(v), `must be one of ${list}, got ${show(v)}`);
}

/** Schemes the MQTT.js client can connect with. */
export const MQTT_SCHEMES = ['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss'] as const;

/** A broker URL such as `mqtt://127.0.0.1:1883`, with a scheme from {@link MQTT_SCHEMES}. */
export const mqttUrl: Check = (v) => {
  const schemes = MQTT_SCHEMES.map((s) => `${s}://`).join(', ');
  const hint = `must be a broker URL starting with one of ${schemes}, e.g. "mqtt://127.0.0.1:1883"`;
  if (typeof v !== 'string') return [{ message: `${hint}; got ${show(v)}` }];
  const match = /^([a-z]+):\/\/(.*)$/.exec(v);
  if (!match || !(MQTT_SCHEMES as readonly string[]).includes(match[1] ?? '')) {
    return [{ message: `${hint}; got ${show(redactUrl(v))}` }];
  }
  let hostname = '';
  try {
    hostname = new URL(v).hostname;
  } catch {
    // falls through to the message below
  }
  return when(hostname === '', `must name a broker host, e.g. "mqtt://127.0.0.1:1883"`);
};

/**
 * An MQTT topic prefix: non-empty, no wildcards `+`/`#` (they are only valid in subscriptions),
 * no leading, trailing or doubled `/`, no `$` start (reserved for broker topics like `$SYS`).
 */
export const topicPrefix: Check = (v) => {
  if (typeof v !== 'string' || v === '') {
    return [{ message: `must be a non-empty topic such as "kasa", got ${show(v)}` }];
  }
  if (/[+#]/.test(v) || v.includes('\u0000')) {
    return [{ message: `must not contain "+", "#" or NUL, got ${show(v)}` }];
  }
  if (v.startsWith('/') || v.endsWith('/') || v.includes('//')) {
    return [{ message: `must not start or end with "/" or contain "//", got ${show(v)}` }];
  }
  return when(
    v.startsWith('$'),
    `must not start with "$" (reserved for the broker), got ${show(v)}`,
  );
};

/**
 * A non-empty list of distinct names out of `allowed`, in the order the user wants them.
 * Used for `emonhub.fields`, whose order is the frame's value order.
 */
export function distinctList(allowed: readonly string[]): Check {
  const list = allowed.map((x) => `"${x}"`).join(', ');
  return (v) => {
    if (!Array.isArray(v) || v.length === 0) {
      return [{ message: `must be a non-empty array of names out of ${list}, got ${show(v)}` }];
    }
    const issues: Issue[] = [];
    v.forEach((item: unknown, i) => {
      if (typeof item !== 'string' || !allowed.includes(item)) {
        issues.push({ path: `[${i}]`, message: `must be one of ${list}, got ${show(item)}` });
      } else if (v.indexOf(item) !== i) {
        issues.push({ path: `[${i}]`, message: `"${item}" is listed twice; list each field once` });
      }
    });
    return issues;
  };
}

/**
 * `userinfo` password of a URL replaced: `mqtt://u:[redacted]@h`. Other text unchanged, so a
 * bad value can still be quoted back. The password runs to the last `@` of the authority, so an
 * unencoded `@` in it (`u:p@ss@h`, which MQTT.js accepts) is hidden whole. The one
 * implementation: the MQTT sink's `redactUrl` calls it with `***`.
 * @param censor what the password becomes; default `[redacted]`
 */
export function redactUrl(url: string, censor = '[redacted]'): string {
  return url.replace(
    /^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^/?#]*@/i,
    (_, head: string) => `${head}${censor}@`,
  );
}

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`: "hots" → "host" is 1. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i, j - 1) + 1, at(i - 1, j) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known key a misspelt or misplaced `key` most likely meant: one with the same last
 * segment (`interval` → `poll.interval`), else the closest by edit distance within a third of
 * the key's length. Undefined when nothing is close.
 */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const last = key.slice(key.lastIndexOf('.') + 1);
  const moved = known.find((k) => k !== key && k.slice(k.lastIndexOf('.') + 1) === last);
  if (moved !== undefined) return moved;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** `unknown key (did you mean "x"?); remove it or fix the spelling`. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = suggest(key, known);
  const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
  return `unknown key${hint}; remove it or fix the spelling`;
}
