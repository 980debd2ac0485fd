/**
 * How fast the emonhub sink sends: live frames at once, a backlog (frames restored at start or
 * kept through an outage) at `emonhub.replayRate` on top of them, and never more than emonhub
 * takes (`capacity.ts`: one frame per 0.1 s pass). Pure: time comes in as arguments (monotonic
 * ms), nothing is armed here.
 *
 * Two quantities, both in frames:
 * - credit: what the order of the queue lets go now. Each frame written while emonhub is not
 *   known to be down earns one (a live frame goes at once, even behind a backlog: the queue
 *   advances by one), and `replayRate` a second accrue on top (the backlog drains at that rate).
 *   Credit never exceeds the frames queued, so an idle sink does not save up a burst, and a send
 *   that fails forfeits it; none accrues until a send succeeds again (frames written while
 *   emonhub is down are the backlog, and go out at `replayRate` once it is back).
 * - held: what emonhub has been sent and not yet taken, estimated: it drains at `takeRate`.
 *   A send waits while it would put more than `maxHeld` there, so emonhub's own buffer (memory
 *   it loses on restart, which nothing reports) stays short, and a backlog the nodes build
 *   faster than emonhub takes waits in the sink's queue, bounded, persisted and reported.
 */

/** What {@link Pace} is tuned by. */
export interface PaceOptions {
  /** Frames a second a backlog is replayed at, on top of live frames (`emonhub.replayRate`). */
  replayRate: number;
  /** Frames a second emonhub takes (`EMONHUB_FRAMES_PER_S`). */
  takeRate: number;
  /** Frames emonhub may hold at most: about two seconds of its rate. */
  maxHeld: number;
}

/** The sender's budget; see the file comment. */
export class Pace {
  #credit = 0;
  #held = 0;
  #at: number;
  /** The last send failed: no credit accrues until one succeeds. */
  #down = false;

  /**
   * @param opts rates and the bound on what emonhub holds
   * @param now monotonic ms
   */
  constructor(
    private readonly opts: PaceOptions,
    now: number,
  ) {
    this.#at = now;
  }

  /** Moves the budget to `now`: credit accrues at `replayRate`, emonhub drains at `takeRate`. */
  #advance(now: number, queued: number): void {
    const dt = Math.max(0, now - this.#at) / 1000;
    this.#at = Math.max(this.#at, now);
    const accrued = this.#down ? 0 : dt * this.opts.replayRate;
    this.#credit = Math.min(queued, this.#credit + accrued);
    this.#held = Math.max(0, this.#held - dt * this.opts.takeRate);
  }

  /**
   * A frame was queued.
   * @param now monotonic ms
   * @param queued frames queued, this one included
   * @param live emonhub is not known to be down: the frame earns its credit
   */
  pushed(now: number, queued: number, live: boolean): void {
    this.#advance(now, queued);
    if (live) this.#credit = Math.min(queued, this.#credit + 1);
  }

  /**
   * Frames that may be sent now, 0 when the sender must wait. Room in emonhub is used in
   * batches of at least half of `maxHeld` (or all the credit, when less): many frames in few
   * connections, not one connection per pass.
   */
  allowed(now: number, queued: number): number {
    this.#advance(now, queued);
    const credit = Math.floor(this.#credit);
    if (credit < 1) return 0;
    const room = Math.floor(this.opts.maxHeld - this.#held);
    return room >= this.#batch(credit) ? Math.min(credit, room) : 0;
  }

  /** Ms until {@link allowed} is not 0 (at least 1); call after it returned 0. */
  waitMs(): number {
    const { replayRate, takeRate, maxHeld } = this.opts;
    const credit = Math.floor(this.#credit);
    const s =
      credit < 1
        ? (1 - this.#credit) / replayRate
        : (this.#held - (maxHeld - this.#batch(credit))) / takeRate;
    return Math.max(1, Math.ceil(1000 * s));
  }

  /** The least room worth a send for `credit` whole frames. */
  #batch(credit: number): number {
    return Math.min(credit, Math.ceil(this.opts.maxHeld / 2));
  }

  /** `n` frames reached emonhub at `now`. */
  sent(now: number, n: number, queued: number): void {
    this.#advance(now, queued + n);
    this.#credit = Math.max(0, this.#credit - n);
    this.#held += n;
    this.#down = false;
  }

  /** A send failed: emonhub is down; the credit is forfeit, and none accrues until it is back. */
  failed(): void {
    this.#credit = 0;
    this.#down = true;
  }
}
