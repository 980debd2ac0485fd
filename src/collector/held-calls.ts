/**
 * Sink calls held behind the energy totals' shared write-ahead (`outcome.ts`, `energy/totals.ts`):
 * a poll whose totals need the file written before they are published has its sink calls
 * held; the polls that complete in the same turn of the event loop share one write at
 * `setImmediate`, then the held calls run in arrival order. While some are held, every other
 * call queues behind them, so each device's readings and availability keep their order.
 */
import type { Logger } from 'pino';

/** A queue of sink calls that waits for one shared write, flushed once per loop turn. */
export class HeldCalls {
  /**
   * Calls waiting for the write, in arrival order: at most one per poll result of one loop turn
   * (each device is polled once per tick, a relay's re-polls are coalesced).
   */
  #held: (() => void)[] = [];
  #flushQueued = false;
  readonly #onImmediate = (): void => {
    this.#flushQueued = false;
    this.flush();
  };

  /**
   * @param write the shared write, run once before the held calls (a failure is its own to
   *   log: the calls run anyway)
   * @param log where a call that throws is told (a bug in a sink)
   */
  constructor(
    private readonly write: () => void,
    private readonly log: Logger,
  ) {}

  /** True when nothing is held. */
  get empty(): boolean {
    return this.#held.length === 0;
  }

  /**
   * Whether {@link run} would hold a call: it needs the write, or other calls are held already.
   * A caller that builds its call as a closure can ask first and run it inline when not.
   */
  wouldHold(needsWrite: boolean): boolean {
    return needsWrite || this.#held.length > 0;
  }

  /**
   * Runs `call` at once, or holds it until the end of this loop turn (or {@link flush}) when it
   * needs the write or other calls are held already.
   * @param needsWrite the call carries totals the file must cover first
   */
  run(call: () => void, needsWrite: boolean): void {
    if (!this.wouldHold(needsWrite)) {
      call();
      return;
    }
    this.#held.push(call);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(this.#onImmediate);
  }

  /**
   * Runs the write once, then every held call in arrival order. Synchronous; nothing to do when
   * nothing is held. A call that throws is logged and the others still run.
   */
  flush(): void {
    if (this.#held.length === 0) return;
    this.write();
    const held = this.#held;
    this.#held = [];
    for (const call of held) {
      try {
        call();
      } catch (err) {
        this.log.error({ err }, 'a sink threw on a held reading (a bug): skipped');
      }
    }
  }
}
