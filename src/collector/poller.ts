import { systemClock, type Clock } from '../clock.js';
import { PlugError, PollError, PollErrorCode } from '../errors.js';
import type { DeviceSample } from '../kasa/device.js';

/** Something the poller can poll: a `PolledDevice` or a test double. */
export interface Pollable {
  /** `host:port`, for messages. */
  readonly target: string;
  /** One poll with a deadline in ms; rejects with a PlugError (anything else is a bug). */
  poll(timeoutMs: number): Promise<DeviceSample>;
}

/**
 * Why a poll failed: the plug's answer or its absence ({@link PlugError}, classified by the
 * transport and protocol), or the collector's side ({@link PollError}: not started, overlap,
 * a bug).
 */
export type PollFailure = PlugError | PollError;

/** The outcome of one plug's poll at one tick. */
export type PollResult = { ok: true; sample: DeviceSample } | { ok: false; error: PollFailure };

/** Poller limits (the `poll` config slice, in ms). */
export interface PollerOptions {
  /** Deadline per plug poll, ms. */
  timeoutMs: number;
  /** Plugs polled at once. */
  concurrency: number;
}

/**
 * Polls a set of plugs once per tick with bounded concurrency.
 *
 * Order: a tick polls first the plugs that answered at their last poll, then the others, each
 * group starting where the previous tick stopped in it (a plug it never started comes first).
 * When the fleet needs more time than the workers have (`devices > concurrency × interval /
 * timeout`, with plugs that hang until the timeout), hung plugs then share what is left in turn,
 * and can never starve live ones: a plug that answers is polled at every tick as long as the
 * live plugs fit, and every plug is started at least once every ⌈others / what is left⌉ ticks.
 *
 * Isolation rules: a slow plug only ever costs its own poll (each has its own deadline), never
 * delays the others or the next tick; two polls of the same plug never overlap (a plug still in
 * flight when its next tick comes is reported `POLL_OVERLAP` for that tick, not polled twice);
 * plugs a tick could not even start before the next tick (concurrency too low for the fleet) are
 * reported `POLL_NOT_STARTED` so the gap is visible. A rejection that is not a {@link PlugError}
 * is a bug in the poll path, reported `INTERNAL_ERROR` rather than blamed on the plug.
 *
 * @typeParam D the caller's per-device record
 */
export class Poller<D extends Pollable> {
  #generation = 0;
  readonly #inFlight = new Set<D>();
  readonly #running = new Set<Promise<void>>();
  /** Devices whose last poll succeeded. */
  readonly #answered = new WeakSet<D>();
  /** The last tick's queue and how many of it were started (final once the next tick began). */
  #last: { queue: D[]; started: () => number } | undefined;

  /**
   * @param options deadline and concurrency
   * @param onResult receives every device's result for the tick, exactly once; must not throw;
   *   `durationS` is how long the plug's poll took, absent when it was not polled at all
   * @param clock measures each poll's duration (monotonic)
   */
  constructor(
    private readonly options: PollerOptions,
    private readonly onResult: (
      device: D,
      tickS: number,
      result: PollResult,
      durationS?: number,
    ) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Devices with a poll in flight right now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Polls every device for tick `tickS`. Resolves when all of this tick's polls are settled;
   * the caller need not await it before the next tick.
   * @param devices the devices to poll this tick
   * @param tickS the tick, unix s
   */
  pollTick(devices: readonly D[], tickS: number): Promise<void> {
    const generation = ++this.#generation;
    // The previous tick's workers take no new plug from here on: its unstarted ones are final.
    const resume = this.#unstarted();
    const answered: D[] = [];
    const others: D[] = [];
    for (const d of devices) {
      if (this.#inFlight.has(d)) {
        this.fail(d, tickS, PollErrorCode.OVERLAP, 'previous poll still running at this tick');
      } else {
        (this.#answered.has(d) ? answered : others).push(d);
      }
    }
    const queue = [...rotate(answered, resume), ...rotate(others, resume)];
    let next = 0;
    this.#last = { queue, started: () => next };
    const worker = async (): Promise<void> => {
      while (next < queue.length && generation === this.#generation) {
        await this.pollOne(queue[next++] as D, tickS);
      }
    };
    const workers = Array.from(
      { length: Math.min(this.options.concurrency, queue.length) },
      worker,
    );
    const done = Promise.all(workers).then(() => {
      for (let i = next; i < queue.length; i++) {
        this.fail(
          queue[i] as D,
          tickS,
          PollErrorCode.NOT_STARTED,
          'not polled before the next tick: raise poll.concurrency or poll.interval',
        );
      }
    });
    this.#running.add(done);
    void done.finally(() => this.#running.delete(done));
    return done;
  }

  /** The previous tick's plugs it never started, in its order. */
  #unstarted(): D[] {
    const last = this.#last;
    return last === undefined ? [] : last.queue.slice(last.started());
  }

  /** Resolves when no tick's polls are in flight (used on shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  /** Makes later workers of the current tick stop taking new plugs (used on shutdown). */
  cancelPending(): void {
    this.#generation++;
  }

  private async pollOne(device: D, tickS: number): Promise<void> {
    const started = this.clock.monotonic();
    this.#inFlight.add(device);
    let result: PollResult;
    try {
      result = { ok: true, sample: await device.poll(this.options.timeoutMs) };
    } catch (err) {
      const error =
        err instanceof PlugError
          ? err
          : new PollError(
              PollErrorCode.INTERNAL,
              device.target,
              `unexpected failure: ${String(err)}`,
              err,
            );
      result = { ok: false, error };
    } finally {
      this.#inFlight.delete(device);
    }
    if (result.ok) this.#answered.add(device);
    else this.#answered.delete(device);
    this.onResult(device, tickS, result, (this.clock.monotonic() - started) / 1000);
  }

  private fail(device: D, tickS: number, code: PollErrorCode, message: string): void {
    this.onResult(device, tickS, {
      ok: false,
      error: new PollError(code, device.target, message),
    });
  }
}

/**
 * `group` (in list order) rotated to start where the previous tick stopped in it: at the first
 * of its members the previous tick did not start, in that tick's order. Each tick's order is
 * thus the list read round from some point, and the next tick goes on from where it ended.
 * Unrotated when the previous tick started them all.
 */
function rotate<D>(group: readonly D[], unstarted: readonly D[]): D[] {
  const members = new Set(group);
  const first = unstarted.find((d) => members.has(d));
  const at = first === undefined ? -1 : group.indexOf(first);
  return at <= 0 ? [...group] : [...group.slice(at), ...group.slice(0, at)];
}
