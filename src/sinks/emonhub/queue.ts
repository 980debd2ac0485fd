/**
 * Where the emonhub sink's frame queue lives and what a restored frame must look like: the file
 * `<state.dir>/emonhub-queue.json`, the bounds from the `emonhub.queue` config keys, and a
 * strict check of every restored frame.
 *
 * The check matters more than for MQTT: a malformed frame can kill emonhub's socket thread
 * (docs/emonhub.md), and a frame built under another config (`timestamped` switched, a field
 * added) would put values into the wrong emonCMS inputs. So a restored frame must be exactly
 * what `buildFrame` makes of its own fields under the CURRENT config; one that is not is
 * dropped (reported, with the count), never sent, and the frames that fit are kept.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EmonhubConfig } from '../../config/types.js';
import type { StateFs } from '../../storage/json-file.js';
import { Outbox } from '../../storage/outbox.js';
import { buildFrame } from './line.js';

/** The queue's file name in `state.dir`. */
export const EMONHUB_QUEUE_FILE = 'emonhub-queue.json';

/** Earliest plausible frame time, unix s (2001-09-09): catches a node id read as a time. */
const MIN_TIME = 1_000_000_000;

/** Where and how {@link createEmonhubQueue} keeps the queue. */
export interface EmonhubQueueOptions {
  /** `state.dir`; absent: memory only (nothing survives a restart). */
  stateDir?: string;
  /** Delay between a queue change and its write, ms. Default 1000. */
  persistMs?: number;
  /** File system calls of the queue file (tests make writes fail); default `node:fs`. */
  fs?: StateFs;
}

/**
 * A validator of restored frames for the current `timestamped` and `fields`.
 * @returns a function that returns the frame unchanged, or throws saying why it cannot be sent
 */
export function frameValidator(
  config: Pick<EmonhubConfig, 'timestamped' | 'fields'>,
): (raw: unknown) => string {
  const { timestamped, fields } = config;
  const expected = fields.length + (timestamped ? 2 : 1);
  return (raw) => {
    if (typeof raw !== 'string') throw new Error('frame is not a string');
    const parts = raw.endsWith('\r\n') ? raw.slice(0, -2).split(' ') : [];
    if (parts.length !== expected) {
      throw new Error(
        `frame ${JSON.stringify(raw)} does not fit the config (timestamped: ${timestamped}, ` +
          `${fields.length} fields)`,
      );
    }
    const nums = parts.map(Number);
    const time = timestamped ? (nums.shift() ?? 0) : MIN_TIME;
    const node = nums.shift() ?? -1;
    if (time < MIN_TIME) throw new Error(`frame ${JSON.stringify(raw)}: time is not unix seconds`);
    let rebuilt: string;
    try {
      rebuilt = buildFrame({ time, node, values: nums, timestamped });
    } catch (err) {
      throw new Error(`frame ${JSON.stringify(raw)}: ${(err as Error).message}`);
    }
    if (rebuilt !== raw) throw new Error(`frame ${JSON.stringify(raw)} is not in canonical form`);
    return raw;
  };
}

/**
 * The frame queue of the `emonhub` config slice: `<stateDir>/emonhub-queue.json`, bounded by
 * `queue.maxFrames` and `queue.maxBytes`. Does no I/O until `load()`.
 * @param config the `emonhub` slice
 * @param opts state dir and write delay
 * @param log the sink's logger
 * @param clock debounces the writes
 */
export function createEmonhubQueue(
  config: EmonhubConfig,
  opts: EmonhubQueueOptions,
  log: Logger,
  clock: Clock,
): Outbox<string> {
  return new Outbox<string>({
    dir: opts.stateDir,
    name: EMONHUB_QUEUE_FILE,
    maxEntries: config.queue.maxFrames,
    maxBytes: config.queue.maxBytes,
    validateItem: frameValidator(config),
    log,
    clock,
    ...(opts.persistMs !== undefined && { persistMs: opts.persistMs }),
    fs: opts.fs,
    label: 'emonhub queue',
    unit: 'frames',
  });
}
