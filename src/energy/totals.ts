import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { JsonFile } from '../storage/json-file.js';
import { stepTotal, type DeviceTotal, type StepResult } from './step.js';
import { TOTALS_FILE, TOTALS_VERSION, validateTotals, type TotalsDocument } from './totals-file.js';

/** What {@link EnergyTotals} needs; everything injected. */
export interface EnergyTotalsOptions {
  /** `state.dir`; the file is `energy-totals.json` in it. */
  dir: string;
  /** Debounces writes and names a set-aside corrupt file. */
  clock: Clock;
  log: Logger;
  /** W, the spike filter's `maxPower`: bounds a plausible counter step (`step.ts`). */
  maxPower?: number;
  /**
   * s, the schedule's shortest gap between ticks: the least time a counter step is allowed,
   * whatever the tick times say (they go back after a wall-clock step). Default 0.
   */
  minStepS?: number;
  /** How long after an update the file is written, ms; default {@link FLUSH_DELAY_MS}. */
  flushDelayMs?: number;
}

/**
 * Default write delay, 60 s: all updates of a minute land in one write. The file is small but
 * rewritten whole and fsynced; once a second would be 86 400 writes a day on a Pi's SD card,
 * and a blocking write each tick on a large fleet. What a longer delay risks is small: after a
 * crash or a power cut the totals resume from the persisted `last` values, so the next reading
 * adds what each plug counted meanwhile; only a plug that also rebooted within that minute
 * loses the energy it counted in it.
 */
export const FLUSH_DELAY_MS = 60_000;

/** What {@link EnergyTotals.load} found. */
export type TotalsLoadOutcome =
  | { status: 'missing' }
  | { status: 'ok'; devices: number }
  | { status: 'corrupt'; setAside: string; reason: string }
  | { status: 'unreadable'; reason: string };

/**
 * Lifetime energy counters per plug (`energy_total`, kWh), kept from the plugs' since-boot
 * counters by the policy of `step.ts`, and persisted in `<state.dir>/energy-totals.json`
 * so they never decrease across plug reboots nor collector restarts.
 *
 * Writes are debounced ({@link FLUSH_DELAY_MS}, a minute) and also happen on {@link close}. A
 * crash between writes loses nothing as long as the plug does not reboot meanwhile: the
 * persisted `last` is older, so the next step adds what the plug counted in between.
 *
 * A corrupt or truncated file is set aside (`energy-totals.json.corrupt-<ms>`) with a warning,
 * never a crash; the totals then restart from each plug's current since-boot value, as on a
 * first run. A write that fails (full disk, read-only `state.dir`) is logged once and retried
 * on the next update; the totals keep counting in memory meanwhile.
 */
export class EnergyTotals {
  readonly #file: JsonFile<TotalsDocument>;
  #totals = new Map<string, DeviceTotal>();
  #timer: unknown = undefined;
  #dirty = false;
  #failing = false;

  /** @param opts state dir, clock, logger, plausibility bound and write delay */
  constructor(private readonly opts: EnergyTotalsOptions) {
    this.#file = new JsonFile(opts.dir, TOTALS_FILE, validateTotals);
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
   * Reads the file, replacing what is in memory. Never throws: a corrupt file is set aside, an
   * unreadable one (permissions) is left alone; both are logged at warn and counting starts fresh.
   */
  load(): TotalsLoadOutcome {
    const { log, clock } = this.opts;
    const file = this.#file.file;
    this.#totals = new Map();
    let outcome: TotalsLoadOutcome;
    try {
      const read = this.#file.read(clock.now());
      if (read.status === 'ok') {
        this.#totals = new Map(Object.entries(read.value.devices));
        outcome = { status: 'ok', devices: this.#totals.size };
      } else outcome = read;
    } catch (err) {
      outcome = { status: 'unreadable', reason: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.status === 'ok')
      log.info({ file, devices: outcome.devices }, 'energy totals restored');
    else if (outcome.status === 'missing')
      log.info({ file }, 'no energy totals yet: starting fresh');
    else {
      log.warn(
        { file, ...outcome },
        `energy totals file ${outcome.status}: totals restart from the plugs' current values`,
      );
    }
    return outcome;
  }

  /**
   * Advances a device's lifetime total with a reading of its since-boot counter.
   * @param key from `totalsKey()`: deviceId, else MAC, else host:port
   * @param energy the plug's `energy`, kWh, finite and ≥ 0 (already through the spike filter)
   * @param time the reading's tick, unix s
   * @returns the lifetime total, kWh: never less than any value returned before for `key`
   * @throws RangeError when `energy` is negative or not finite
   */
  update(key: string, energy: number, time: number): number {
    return this.commit(key, this.preview(key, energy, time));
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
    return stepTotal(this.#totals.get(key), energy, time, this.opts.maxPower, this.opts.minStepS);
  }

  /**
   * Applies a step {@link preview} returned for `key`: stores its entry, logs a counter reset
   * (info) or an implausible step (warn), and schedules the write.
   * @returns the lifetime total, kWh
   */
  commit(key: string, step: StepResult): number {
    const prev = this.#totals.get(key);
    const { last: energy, updated: time } = step.entry;
    this.#totals.set(key, step.entry);
    if (step.kind === 'reset') {
      this.opts.log.info(
        { key, last: prev?.last, energy, total: step.entry.total },
        'plug energy counter went down (reboot?): lifetime total kept',
      );
    } else if (step.kind === 'jump') {
      this.opts.log.warn(
        { key, last: prev?.last, energy, seconds: time - (prev?.updated ?? time) },
        'implausible energy counter step ignored',
      );
    }
    this.#dirty = true;
    this.#schedule();
    return step.entry.total;
  }

  /**
   * Writes the file now if anything changed. A failure is logged (once per run of failures),
   * not thrown: the totals stay in memory and the next update tries again.
   * @returns true when the file holds the current totals
   */
  flush(): boolean {
    if (!this.#dirty) return true;
    const doc: TotalsDocument = {
      version: TOTALS_VERSION,
      devices: Object.fromEntries(this.#totals),
    };
    try {
      this.#file.write(doc);
    } catch (err) {
      if (!this.#failing) {
        this.opts.log.warn({ err }, 'energy totals not saved; they keep counting in memory');
      }
      this.#failing = true;
      return false;
    }
    this.#dirty = false;
    if (this.#failing) this.opts.log.info({ file: this.#file.file }, 'energy totals saved again');
    this.#failing = false;
    return true;
  }

  /** Cancels the pending write and writes now. Safe to call twice. */
  close(): void {
    if (this.#timer !== undefined) this.opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.opts.clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.opts.flushDelayMs ?? FLUSH_DELAY_MS);
  }
}
