import { ConfigError } from '../errors.js';

/**
 * Parses a plug address as typed on the command line: `HOST`, `HOST:PORT`, `[IPv6]:PORT` or a
 * bare IPv6 address.
 * @param text e.g. `192.168.1.50`, `192.168.1.50:9999`, `[::1]:9999`
 * @param defaultPort used when none is given (9999, the Smart Home protocol's port)
 * @returns host and TCP port
 * @throws ConfigError when the port is not an integer 1–65535 or the host is empty
 */
export function parseHostPort(text: string, defaultPort = 9999): { host: string; port: number } {
  let host = text.trim();
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(host);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2];
  } else if ((host.match(/:/g) ?? []).length === 1) {
    const i = host.lastIndexOf(':');
    portText = host.slice(i + 1);
    host = host.slice(0, i);
  }
  if (!host) throw new ConfigError(`"${text}": no host given; use HOST or HOST:PORT`);
  if (portText === undefined || portText === '') return { host, port: defaultPort };
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`"${text}": port "${portText}" is not an integer from 1 to 65535`);
  }
  return { host, port };
}
