/**
 * What emonhub's socket interfacer can take, and whether a config asks for more. Pure.
 *
 * From emonhub's source (2.7.x): `EmonHubInterfacer.run` (`src/emonhub_interfacer.py`) is a
 * loop that calls `read()`, handles at most the one frame it returns, then `time.sleep(0.1)`.
 * `EmonHubSocketInterfacer.read` (`src/interfacers/EmonHubSocketInterfacer.py`) accepts at
 * most one connection per call (`listen(1)`), appends ONE `recv(1024)` of it to a buffer, and
 * returns the first `\r\n`-terminated frame of that buffer. So one connection may carry several
 * whole lines (they wait in the buffer), but emonhub takes at most one frame per pass: about 10
 * frames a second, less with its other work, however they are sent.
 */
import type { DeviceConfig, EmonhubConfig } from '../../config/types.js';

/** Frames a second emonhub takes at most: one per 0.1 s pass of its interfacer loop. */
export const EMONHUB_FRAMES_PER_S = 10;

/**
 * Frames a second the configured nodes need: every device and outlet with a `node` sends one
 * frame per tick.
 * @param devices the `devices` config
 * @param minGapS s, the shortest gap between ticks (`poll.interval`, or `poll.cron`'s)
 */
export function framesPerSecond(devices: readonly DeviceConfig[], minGapS: number): number {
  let nodes = 0;
  for (const d of devices) {
    if (d.node !== undefined) nodes++;
    for (const o of d.outlets ?? []) if (o.node !== undefined) nodes++;
  }
  return minGapS > 0 ? nodes / minGapS : 0;
}

/**
 * A warning when the nodes need more frames a second than emonhub takes, else undefined.
 * @param emonhub the `emonhub` slice (only `enabled` is read)
 * @param devices the `devices` config
 * @param minGapS s, the shortest gap between ticks
 */
export function capacityWarning(
  emonhub: Pick<EmonhubConfig, 'enabled'>,
  devices: readonly DeviceConfig[],
  minGapS: number,
): string | undefined {
  if (!emonhub.enabled) return undefined;
  const need = framesPerSecond(devices, minGapS);
  if (need <= EMONHUB_FRAMES_PER_S) return undefined;
  const nodes = Math.round(need * minGapS);
  return (
    `emonhub: ${nodes} nodes every ${minGapS} s need ${need.toFixed(1)} frames/s, more than ` +
    `the ${EMONHUB_FRAMES_PER_S}/s emonhub's socket interfacer takes (one per 0.1 s pass); ` +
    'frames will wait longer and longer until emonhub.queue.maxFrames drops the oldest. ' +
    'Poll less often, or give fewer devices and outlets a node (docs/emonhub.md)'
  );
}
