/**
 * Per-device online/offline state from consecutive poll results, so the sinks publish a
 * transition once (zigbee2mqtt's `availability.ts` habit) and the log gets one line per change,
 * not one per failed tick.
 *
 * A device starts unknown; its first success makes it online. It goes offline after
 * `offlineAfter` failures in a row (also from unknown: a plug that never answers is reported),
 * and back online on the next success.
 */
export type Transition = 'online' | 'offline' | null;

/** Availability of one device. */
export class AvailabilityTracker {
  #failures = 0;
  #online: boolean | undefined;

  /** @param offlineAfter failed polls in a row before `offline` (≥ 1) */
  constructor(private readonly offlineAfter: number) {}

  /** `true` online, `false` offline, `undefined` not yet known. */
  get online(): boolean | undefined {
    return this.#online;
  }

  /** Consecutive failed polls so far. */
  get failures(): number {
    return this.#failures;
  }

  /** Records a successful poll. @returns `'online'` when this changes the state, else `null` */
  success(): Transition {
    this.#failures = 0;
    if (this.#online === true) return null;
    this.#online = true;
    return 'online';
  }

  /** Records a failed poll. @returns `'offline'` when this one crosses the threshold, else `null` */
  failure(): Transition {
    this.#failures++;
    if (this.#online === false || this.#failures < this.offlineAfter) return null;
    this.#online = false;
    return 'offline';
  }
}
