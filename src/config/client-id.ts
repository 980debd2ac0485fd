import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * The MQTT client id used when `mqtt.clientId` is empty: `kasa-collector-<hostname>-<hash>`,
 * the hash being 6 hex digits of the absolute `state.dir` and `mqtt.topicPrefix`.
 *
 * Why a hash of those two: a broker keeps one connection per client id and drops the older one
 * when another connects with the same id (MQTT 3.1.1, section 3.1.4). Two collectors
 * on one machine under `kasa-collector-<hostname>` alone took turns kicking each other off every
 * few seconds. Two collectors never share a state dir (they would overwrite each other's
 * outboxes and totals), so the id differs between them; and it stays the same across restarts,
 * so a collector restarted after a crash takes over its own stale connection at once (its last
 * will, `offline`, goes out then, before the new connection says `online`) instead of leaving it
 * to time out later and say `offline` over the new `online`. A random suffix would do that.
 * @param stateDir `state.dir` as configured (relative to the working directory)
 * @param topicPrefix `mqtt.topicPrefix`
 * @param host the machine's name; default `os.hostname()`
 * @returns e.g. `kasa-collector-raspberrypi-3f9a0c`
 */
export function defaultClientId(stateDir: string, topicPrefix: string, host = hostname()): string {
  const hash = createHash('sha256')
    .update(`${path.resolve(stateDir)}\n${topicPrefix}`)
    .digest('hex')
    .slice(0, 6);
  return `kasa-collector-${host}-${hash}`;
}
