import { systemClock, type Clock } from '../clock.js';
import { currentTick } from '../collector/schedule.js';
import { isPlugError } from '../errors.js';
import { KasaDevice } from '../kasa/device.js';
import { XorTransport } from '../kasa/transport/xor.js';
import { parseHostPort } from './host-port.js';

/**
 * `kasa-collector poll HOST[:PORT]`: one read (sysinfo on first contact, then the batched
 * sysinfo + emeter request) printed as the normalized reading in JSON; a power strip adds
 * `outlets`, each `{id, position, alias, values}` read with its own emeter request.
 * @param target `HOST`, `HOST:PORT` or `[IPv6]:PORT`
 * @param timeoutS deadline for the whole read, s
 * @param out where the JSON goes (stdout)
 * @param err where a failure goes (stderr)
 * @param clock stamps the reading with the current second
 * @returns exit code: 0 on success, 1 with `CODE: message` on a classified failure
 * @throws ConfigError on a malformed address
 */
export async function pollCommand(
  target: string,
  timeoutS: number,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  clock: Clock = systemClock,
): Promise<number> {
  const address = parseHostPort(target);
  const device = new KasaDevice(new XorTransport(address), clock);
  try {
    const sample = await device.poll(timeoutS * 1000);
    const reading = {
      time: currentTick(clock.now(), 1),
      host: address.host,
      port: address.port,
      ...sample.values,
      emeter: sample.hasEmeter,
      ...sample.identity,
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
