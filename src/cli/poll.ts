import { systemClock, type Clock } from '../clock.js';
import { currentTick } from '../collector/schedule.js';
import { isPlugError } from '../errors.js';
import { AutoDevice } from '../kasa/connect.js';
import type { TransportKind } from '../kasa/discovery.js';
import type { Credentials } from '../kasa/transport/credentials.js';
import { parseHostPort } from './host-port.js';

/** What reaches a newer plug: a forced transport, the TP-Link account, discovery's port. */
export interface PollOptions {
  transport?: TransportKind;
  account?: Credentials;
  /** UDP port of discovery for newer plugs (tests); default 20002. */
  discoveryPort?: number;
}

/**
 * `kasa-collector poll HOST[:PORT]`: one read, found and spoken as the collector does
 * (`src/kasa/connect.ts`: XOR, else KLAP or AES, IOT or SMART), printed as the normalized reading
 * in JSON with the `transport` and `protocol` used; a power strip adds `outlets`, each
 * `{id, position, alias, values}`.
 * @param target `HOST`, `HOST:PORT` or `[IPv6]:PORT`
 * @param timeoutS deadline for the whole read, s
 * @param out where the JSON goes (stdout)
 * @param err where a failure goes (stderr)
 * @param clock stamps the reading with the current second
 * @param opts forced transport, account (flags or environment), discovery port
 * @returns exit code: 0 on success, 1 with `CODE: message` on a classified failure
 * @throws ConfigError on a malformed address
 */
export async function pollCommand(
  target: string,
  timeoutS: number,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  clock: Clock = systemClock,
  opts: PollOptions = {},
): Promise<number> {
  const http = opts.transport === 'klap' || opts.transport === 'aes';
  const address = parseHostPort(target, http ? 80 : 9999);
  const device = new AutoDevice({ ...address, ...opts, clock });
  try {
    const sample = await device.poll(timeoutS * 1000);
    const reading = {
      time: currentTick(clock.now(), 1),
      host: address.host,
      port: address.port,
      ...sample.values,
      emeter: sample.hasEmeter,
      ...sample.identity,
      ...(device.connection === undefined
        ? {}
        : { transport: device.connection.transport, protocol: device.connection.protocol }),
      ...(sample.outlets === undefined ? {} : { outlets: sample.outlets }),
    };
    out.write(`${JSON.stringify(reading, null, 2)}\n`);
    return 0;
  } catch (e) {
    if (!isPlugError(e)) throw e;
    err.write(`${e.code}: ${e.message}\n`);
    return 1;
  } finally {
    device.close();
  }
}
