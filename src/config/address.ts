import { isIPv6 } from 'node:net';

/**
 * One spelling per address, so two `devices[]` entries that name one plug differently compare
 * equal: host names in lower case without a trailing dot (`Plug.LAN.` is `plug.lan`), IPv6 in
 * its canonical compressed form (`0:0::1` is `::1`, WHATWG URL's serializer), and an
 * IPv4-mapped IPv6 address as the IPv4 one (`::ffff:192.168.1.5` is `192.168.1.5`). A zone
 * (`%eth0`) is kept. Pure; resolving names is `same-address.ts`'s.
 * @param host a `host` as configured (already checked by `checks.host`)
 * @returns the normalized address or name
 */
export function normalizeAddress(host: string): string {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (!isIPv6(h)) return h;
  const zoneAt = h.indexOf('%');
  const bare = zoneAt === -1 ? h : h.slice(0, zoneAt);
  const zone = zoneAt === -1 ? '' : h.slice(zoneAt);
  const canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped === null) return canonical + zone;
  const [hi, lo] = [parseInt(mapped[1] as string, 16), parseInt(mapped[2] as string, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/**
 * `host:port` as messages show it: an IPv6 address in brackets (`[::1]:9999`).
 * @param host an address or name
 * @param port a TCP port
 */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
