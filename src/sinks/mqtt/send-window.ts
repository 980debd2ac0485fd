/**
 * The one bound on the MQTT sink's QoS 1 and 2 publishes in flight: readings (`outbox.ts`) and
 * the "latest wins" messages (`latest-queue.ts`) together.
 *
 * An MQTT 5 client MUST NOT have more QoS > 0 PUBLISH packets unacknowledged than the Receive
 * Maximum of the server's CONNACK (MQTT 5.0 §3.3.4 and §4.9, https://docs.oasis-open.org/mqtt/
 * mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901251); a broker may disconnect a client that does
 * (reason code 0x93, "Receive Maximum exceeded"). MQTT.js 5 does not hold its publishes back for
 * it (it reads the CONNACK's Receive Maximum nowhere; its own `receiveMaximum` bounds incoming
 * QoS 2 only), so the sink counts its own: a publish takes a slot when handed to MQTT.js and
 * gives it back when MQTT.js completes it (PUBACK, PUBCOMP, or an error).
 *
 * Neither kind starves the other: a freed slot is offered first to the kind that did not take
 * the last one, so while both wait they alternate message by message. While one waits alone it
 * takes every slot.
 */

/** Who takes a slot. */
export type WindowUser = 'readings' | 'latest';

/** Counts QoS > 0 publishes in flight against the broker's Receive Maximum. */
export class SendWindow {
  #limit: number;
  #inFlight = 0;
  /** Who took the last slot: a freed one is offered to the other first. */
  #lastTaker: WindowUser = 'latest';
  /** Publishes what waits, as far as the window lets it (each is a no-op when nothing waits). */
  readonly #pumps: Record<WindowUser, () => void> = { readings: noop, latest: noop };

  /** @param limit messages in flight at most, at least 1 */
  constructor(limit: number) {
    this.#limit = clampLimit(limit);
  }

  /** Messages in flight at most. */
  get limit(): number {
    return this.#limit;
  }

  /** QoS > 0 messages handed to MQTT.js and not yet completed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Registers what publishes `user`'s waiting messages; called when a slot frees or the limit
   * grows. It must take its slots through {@link tryTake} and tolerate being called while it runs.
   */
  onRoom(user: WindowUser, pump: () => void): void {
    this.#pumps[user] = pump;
  }

  /**
   * Sets the bound, e.g. to the Receive Maximum of a new connection's CONNACK; what is in flight
   * stays counted (MQTT.js re-sends it on the new connection).
   * @param limit messages, at least 1
   */
  setLimit(limit: number): void {
    this.#limit = clampLimit(limit);
    this.#offer();
  }

  /**
   * Takes a slot for one publish about to be handed to MQTT.js.
   * @returns false when the window is full (publish nothing; the pump is called again on room)
   */
  tryTake(user: WindowUser): boolean {
    if (this.#inFlight >= this.#limit) return false;
    this.#inFlight++;
    this.#lastTaker = user;
    return true;
  }

  /** Gives back the slot of a publish MQTT.js completed, and offers it. */
  release(): void {
    if (this.#inFlight > 0) this.#inFlight--;
    this.#offer();
  }

  /** Offers free slots: first to who did not take the last one. */
  #offer(): void {
    if (this.#inFlight >= this.#limit) return;
    if (this.#lastTaker === 'latest') {
      this.#pumps.readings();
      this.#pumps.latest();
    } else {
      this.#pumps.latest();
      this.#pumps.readings();
    }
  }
}

function noop(): void {}

function clampLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : 1;
}
