import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { JsonFile, type StateFs } from '../storage/json-file.js';
import {
  maxLifetimeKWh,
  publishedTotal,
  stepTotal,
  type DeviceTotal,
  type StepResult,
} from './step.js';
import {
  TOTALS_FILE,
  TOTALS_VERSION,
  validateTotals,
  type ParsedTotals,
  type TotalsDocument,
} from './totals-file.js';
import { headroomKWh, smoothedRate } from './headroom.js';
import { loadTotals, type TotalsLoadOutcome } from './totals-load.js';

/** What {@link EnergyTotals} needs; everything injected. */
export interface EnergyTotalsOptions {
  /** `state.dir`; the file is `energy-totals.json` in it. */
  dir: string;
  /** Debounces writes, names a set-aside corrupt file, and measures time between readings. */
  clock: Clock;
  log: Logger;
  /**
   * W, the spike filter's `maxPower`: bounds a plausible counter step (`step.ts`) and what is
   * read back from the file (`maxLifetimeKWh`).
   */
  maxPower?: number;
  /**
   * s, the schedule's shortest gap between ticks: the least time a counter step is allowed,
   * whatever the tick times say (they go back after a wall-clock step). Default 0.
   */
  minStepS?: number;
  /** How long after an update the file is written, ms; default {@link FLUSH_DELAY_MS}. */
  flushDelayMs?: number;
  /** File system calls (tests make writes fail); default `node:fs`. */
  fs?: StateFs;
}

/**
 * Default write delay, 60 s: all updates of a minute land in one write. The file is small but
 * rewritten whole and fsynced; once a second would be 86 400 writes a day on a Pi's SD card,
 * and a blocking write each tick on a large fleet. Writes come sooner only when the file would
 * no longer cover what is published (see {@link EnergyTotals.writeAhead}).
 */
export const FLUSH_DELAY_MS = 60_000;

/**
 * Lifetime energy counters per plug (`energy_total`, kWh), kept from the plugs' since-boot
 * counters by the policy of `step.ts`, and persisted in `<state.dir>/energy-totals.json`
 * so that the published total never decreases, across plug reboots, collector crashes and
 * both at once (a power cut):
 * - the file is written about once a minute ({@link FLUSH_DELAY_MS}) and on {@link close};
 * - it is written at once when a plug's counter went down or jumped (the saved `last` would no
 *   longer be the plug's), and whenever a total about to be published is above the `ceiling`
 *   the file holds for it ({@link writeAhead}): so what was published is always covered by the
 *   file, and a restart that finds the plug rebooted resumes at least from there (`step.ts`).
 *   A ceiling is the published total plus its headroom (`headroom.ts`: what the device would
 *   add at its recent rate over two write delays, plus a slack): at a steady draw no extra
 *   write is needed.
 *
 * The file degrades per entry: an entry out of range (a negative or non-finite number, or more
 * than `maxLifetimeKWh(maxPower)`) is dropped with a warning, the others kept; a file that is
 * not JSON at all, or of another version, is set aside (`energy-totals.json.corrupt-<ms>`, the
 * last few kept). A write that fails (full disk, read-only `state.dir`) is logged once and
 * retried; the totals keep counting in memory meanwhile.
 */
export class EnergyTotals {
  readonly #file: JsonFile<ParsedTotals, TotalsDocument>;
  #totals = new Map<string, DeviceTotal>();
  /** The ceiling the file holds per device, kWh. */
  #ceilings = new Map<string, number>();
  /** Monotonic ms of each device's last step in this process. */
  readonly #steppedAt = new Map<string, number>();
  /** Each device's recent rate, kWh/s, averaged over `RATE_WINDOW_S` (`headroom.ts`). */
  readonly #rates = new Map<string, number>();
  #timer: unknown = undefined;
  #dirty = false;
  /** A step since the last write needs the file to follow before it is published. */
  #urgent = false;
  #failing = false;
  /** The file's ceilings have headroom (written while running), not exact totals. */
  #ahead = false;
  readonly #maxKWh: number;

  /** @param opts state dir, clock, logger, plausibility bound, write delay, file system */
  constructor(private readonly opts: EnergyTotalsOptions) {
    this.#maxKWh = opts.maxPower === undefined ? Infinity : maxLifetimeKWh(opts.maxPower);
    this.#file = new JsonFile(opts.dir, TOTALS_FILE, (raw) => validateTotals(raw, this.#maxKWh), {
      fs: opts.fs,
    });
  }

  /** The file's path. */
  get file(): string {
    return this.#file.file;
  }

  /** How many devices have a total. */
  get size(): number {
    return this.#totals.size;
  }

  /** A copy of a device's entry, or `undefined` before its first reading. */
  get(key: string): DeviceTotal | undefined {
    const e = this.#totals.get(key);
    return e === undefined ? undefined : { ...e };
  }

  /**
   * Reads the file, replacing what is in memory. Never throws: bad entries are dropped and
   * logged, a corrupt file is set aside, an unreadable one (permissions) is left alone; all
   * are logged at warn, and the devices without an entry start fresh.
   */
  load(): TotalsLoadOutcome {
    const { outcome, devices } = loadTotals(this.#file, this.opts);
    this.#totals = devices?.devices ?? new Map();
    this.#ceilings = new Map();
    for (const [key, e] of this.#totals) this.#ceilings.set(key, e.ceiling ?? publishedTotal(e));
    if (devices !== undefined) {
      this.#ahead = [...devices.devices.values()].some((e) => e.ceiling !== undefined);
      if (devices.dropped.length > 0) this.#dirty = true; // rewritten without them at the next write
    }
    return outcome;
  }

  /**
   * Advances a device's lifetime total with a reading of its since-boot counter, and writes
   * the file first when the published total needs it ({@link writeAhead}).
   * @param key from `totalsKey()`: deviceId, else MAC, else host:port
   * @param energy the plug's `energy`, kWh, finite and ≥ 0 (already through the spike filter)
   * @param time the reading's tick, unix s
   * @returns the lifetime total to publish, kWh: never less than any value returned before
   *   for `key`, in this process or a previous one on the same `state.dir`
   * @throws RangeError when `energy` is negative or not finite
   */
  update(key: string, energy: number, time: number): number {
    const total = this.commit(key, this.preview(key, energy, time));
    this.writeAhead();
    return total;
  }

  /**
   * What {@link update} would do, without doing it: the step from the device's entry as it
   * stands (`step.ts`). Nothing changes until {@link commit}, so a pure caller can read totals
   * (`collector/readings.ts`).
   * @param key from `totalsKey()`
   * @param energy the plug's `energy`, kWh, finite and ≥ 0
   * @param time the reading's tick, unix s
   * @throws RangeError when `energy` is negative or not finite
   */
  preview(key: string, energy: number, time: number): StepResult {
    const { maxPower, minStepS, clock } = this.opts;
    const at = this.#steppedAt.get(key);
    const measuredS = at === undefined ? undefined : (clock.monotonic() - at) / 1000;
    return stepTotal(this.#totals.get(key), energy, time, maxPower, minStepS, measuredS);
  }

  /**
   * Applies a step {@link preview} returned for `key`: stores its entry, logs a counter reset
   * (info) or an implausible step (warn), and schedules the write. Call {@link writeAhead}
   * once the poll's steps are committed, before publishing them.
   * @returns the lifetime total to publish, kWh
   */
  commit(key: string, step: StepResult): number {
    const prev = this.#totals.get(key);
    const { last: energy, updated: time } = step.entry;
    const now = this.opts.clock.monotonic();
    const at = this.#steppedAt.get(key);
    this.#totals.set(key, step.entry);
    this.#steppedAt.set(key, now);
    if (step.kind === 'increase' || step.kind === 'steady') {
      const elapsedS = Math.max(1, (now - (at ?? now)) / 1000, time - (prev?.updated ?? time));
      this.#rates.set(key, smoothedRate(this.#rates.get(key), step.added / elapsedS, elapsedS));
    }
    if (step.kind === 'reset') {
      this.opts.log.info(
        { key, last: prev?.last, energy, total: publishedTotal(step.entry) },
        'plug energy counter went down (reboot?): lifetime total kept',
      );
    } else if (step.kind === 'jump') {
      this.opts.log.warn(
        { key, last: prev?.last, energy, seconds: time - (prev?.updated ?? time) },
        'implausible energy counter step ignored',
      );
    }
    const published = publishedTotal(step.entry);
    const ceiling = this.#ceilings.get(key);
    if (step.kind === 'reset' || step.kind === 'jump' || !(published <= (ceiling ?? -1))) {
      this.#urgent = true;
    }
    this.#dirty = true;
    this.#schedule();
    return published;
  }

  /**
   * Whether {@link writeAhead} would write now: a step committed since the last write must be
   * on disk before it is published, and writes are not failing. A caller that publishes many
   * polls' totals reads it to hold them and share one write (`collector/outcome.ts`).
   */
  get aheadDue(): boolean {
    return this.#urgent && !this.#failing;
  }

  /**
   * The write-ahead: writes the file now when a step committed since the last write must be
   * on disk before it is published (a counter that went down or jumped, a total above its
   * ceiling, a new device). While writes fail it waits for the scheduled retry instead.
   * One write covers every step committed before it: callers commit a batch, then call this
   * once ({@link aheadDue} tells whether it will write).
   * @returns true when the file covers every total committed so far
   */
  writeAhead(): boolean {
    if (!this.#urgent) return true;
    if (this.#failing) return false;
    return this.flush();
  }

  /**
   * Writes the file now if anything changed. A failure is logged (once per run of failures),
   * not thrown: the totals stay in memory and a scheduled write tries again.
   * @returns true when the file holds the current totals
   */
  flush(): boolean {
    return this.#dirty ? this.#write(true) : true;
  }

  /**
   * Cancels the pending write and writes now, each ceiling equal to its published total:
   * nothing more is published by this instance. Safe to call twice.
   */
  close(): void {
    if (this.#timer !== undefined) this.opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty || this.#ahead) this.#write(false);
  }

  /** @param ahead ceilings with headroom (the process goes on publishing), else exact */
  #write(ahead: boolean): boolean {
    const devices: Record<string, DeviceTotal> = {};
    const ceilings = new Map<string, number>();
    for (const [key, e] of this.#totals) {
      const ceiling = e.ceiling ?? publishedTotal(e) + (ahead ? this.#headroom(key) : 0);
      ceilings.set(key, ceiling);
      devices[key] = { ...e, ceiling };
    }
    try {
      this.#file.write({ version: TOTALS_VERSION, devices });
    } catch (err) {
      if (!this.#failing) {
        this.opts.log.warn({ err }, 'energy totals not saved; they keep counting in memory');
      }
      this.#failing = true;
      if (ahead) this.#schedule();
      return false;
    }
    this.#ceilings = ceilings;
    this.#ahead = ahead;
    this.#dirty = false;
    this.#urgent = false;
    if (this.#failing) this.opts.log.info({ file: this.#file.file }, 'energy totals saved again');
    this.#failing = false;
    return true;
  }

  /** kWh above its published total that `key` may reach before the next write (`headroom.ts`). */
  #headroom(key: string): number {
    const aheadS = (2 * (this.opts.flushDelayMs ?? FLUSH_DELAY_MS)) / 1000;
    return headroomKWh(this.#rates.get(key) ?? 0, aheadS, this.opts.maxPower);
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.opts.clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.opts.flushDelayMs ?? FLUSH_DELAY_MS);
  }
}
