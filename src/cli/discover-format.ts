/**
 * The three renderings of `kasa-collector discover`'s result: a table for people, a JSON array
 * for scripts, and a `devices` array to paste into the config file. Pure string building.
 */
import { deviceName, outletName } from '../collector/naming.js';
import type { DiscoveredPlug, HttpDiscovery } from '../kasa/discovery.js';

/** What {@link byHost} sorts by. */
interface Addressed {
  host: string;
  mac?: string | undefined;
  deviceId?: string | undefined;
}

/**
 * Sorts by address, numerically for IPv4 (`127.0.0.2` before `127.0.0.10`), then by MAC (and
 * deviceId) for plugs that answered from the same address.
 */
export function byHost(a: Addressed, b: Addressed): number {
  const key = (p: Addressed): string => {
    const h = p.host;
    const host = /^\d+\.\d+\.\d+\.\d+$/.test(h)
      ? h
          .split('.')
          .map((o) => o.padStart(3, '0'))
          .join('.')
      : `~${h}`;
    return `${host} ${p.mac ?? ''} ${p.deviceId ?? ''}`;
  };
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Control characters in an alias would reach the terminal raw: shown as `?`. */
function cell(v: string | undefined): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return v === undefined || v === '' ? '-' : v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

const HEADER = ['HOST', 'MODEL', 'HW', 'SW', 'ALIAS', 'MAC', 'EMETER', 'FIELDS', 'CHILDREN'];

/**
 * One row per plug, columns padded to the widest cell and two spaces apart. FIELDS is `legacy`,
 * `suffixed`, `suffixed?` (inferred for a model not known to be suffixed) or `none`; CHILDREN is
 * the outlet count of a strip, `-` on a plug.
 * @param plugs in the order to print
 * @returns lines ending in `\n`, header first
 */
export function formatTable(plugs: readonly DiscoveredPlug[]): string {
  const rows = plugs.map((p) => [
    p.host,
    cell(p.model),
    cell(p.hw_ver),
    cell(p.sw_ver),
    cell(p.alias),
    cell(p.mac),
    p.emeter ? 'yes' : 'no',
    p.fieldsInferred ? `${p.fields}?` : p.fields,
    p.children === undefined ? '-' : String(p.children),
  ]);
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] as string).length)));
  return all
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

function padTable(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((r) => (r[i] as string).length)),
  );
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

const NEWER_HEADER = ['HOST', 'MODEL', 'TRANSPORT', 'PORT', 'LOGIN', 'PROTOCOL', 'ACCOUNT', 'MAC'];

/**
 * The plugs that answered on UDP 20002 (KLAP or AES over HTTP): one row each, with a title line.
 * ACCOUNT says whether the TP-Link account is needed (`kasa.username` / `kasa.password`): `no`
 * for a plug that says it is factory-new or has no owner.
 * @returns lines ending in `\n`
 */
export function formatNewerTable(plugs: readonly HttpDiscovery[]): string {
  const rows = plugs.map((p) => [
    p.host,
    cell(p.model),
    p.transport.toUpperCase(),
    String(p.httpPort),
    p.loginVersion === undefined ? '-' : `v${p.loginVersion}`,
    p.protocol.toUpperCase(),
    p.needsAccount ? 'needed' : 'no',
    cell(p.mac),
  ]);
  return `Newer plugs (HTTP, found on UDP 20002; see docs/devices.md):\n${padTable([NEWER_HEADER, ...rows])}`;
}

/**
 * The plugs as a pretty-printed JSON array: {@link DiscoveredPlug} objects, then the newer plugs
 * as {@link HttpDiscovery} objects (they carry `transport`).
 * @returns JSON text ending in `\n`; `[]` when none answered
 */
export function formatJson(
  plugs: readonly DiscoveredPlug[],
  newer: readonly HttpDiscovery[] = [],
): string {
  return `${JSON.stringify([...plugs, ...newer], null, 2)}\n`;
}

/** One element of the printed `devices` array. */
interface DeviceSkeleton {
  host: string;
  name: string;
  outlets?: { name: string }[];
}

/**
 * A ready `devices` array for the config file: `{"host", "name"}` per plug, the name being the
 * alias slugified (`src/collector/naming.ts`; the MAC without colons when the alias gives nothing). Two
 * plugs with the same alias would make the config invalid (names are unique), so the later ones
 * get `_2`, `_3` … A strip gets its `outlets` skeleton, one `{"name"}` per outlet in position
 * order, named from the outlet aliases as the collector would name them (unique within the
 * strip, `outlet_<n>` where an alias gives nothing), ready for `node` ids to be added.
 * The port is left out: discovery cannot see the TCP port, 9999 on real plugs. A newer plug
 * (KLAP or AES) needs nothing more either: the collector finds its transport by itself; it is
 * named from its MAC (its name is not in the discovery answer), and needs `kasa.username` /
 * `kasa.password` when the table says ACCOUNT needed.
 * @returns JSON text ending in `\n`; `[]` when none answered
 */
export function formatConfig(
  plugs: readonly DiscoveredPlug[],
  newer: readonly HttpDiscovery[] = [],
): string {
  const used = new Set<string>();
  const all: {
    host: string;
    alias?: string | undefined;
    mac?: string | undefined;
    children?: number | undefined;
    childAliases?: (string | undefined)[] | undefined;
  }[] = [...plugs, ...newer];
  const devices = all.map((p) => {
    const base = deviceName(undefined, p.alias, p.mac, p.host);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base.slice(0, 60)}_${n}`;
    used.add(name);
    const device: DeviceSkeleton = { host: p.host, name };
    if (p.children !== undefined) {
      const taken = new Set<string>();
      device.outlets = Array.from({ length: p.children }, (_, i) => {
        const outlet = outletName(undefined, p.childAliases?.[i], i + 1, taken);
        taken.add(outlet);
        return { name: outlet };
      });
    }
    return device;
  });
  return `${JSON.stringify(devices, null, 2)}\n`;
}
