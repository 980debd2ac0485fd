/**
 * The MQTT sink's readings on their way: a persisted {@link Outbox} of entries (one entry = one
 * reading's messages as `mqtt.output` asks: the state JSON, the per-field values or both) and
 * the window of messages handed to MQTT.js but not yet acknowledged. At least once, in order,
 * no gap within the bounds:
 * - entries go out only while connected, oldest first, message by message, with at most
 *   `window` messages unacknowledged (the broker's Receive Maximum, `setWindow`): each PUBACK
 *   lets the next message out at once, so the connection never idles waiting for room for a
 *   whole entry (which stalled on TCP's delayed ACKs); an entry leaves the outbox once all its
 *   publishes completed (PUBACK/PUBCOMP; at QoS 0 MQTT.js completes on the socket write, so
 *   what a dying connection carried is lost: at most once);
 * - entries in flight at a disconnect stay here AND in MQTT.js's outgoing store, which re-sends
 *   them on reconnect before it emits `connect`, `clean` or not (`_onConnect` in
 *   mqtt/build/lib/client.js), then completes their callbacks. Re-sending them here too would
 *   deliver each twice, so this resumes after them. After a restart that store is gone and the
 *   outbox re-sends from its head (what was in flight at the crash arrives twice);
 * - a failed publish is classified (`errors.ts` `publishErrorCode`) and the registry decides:
 *   a retryable one (`SINK_CLOSED`: `Connection closed`, `client disconnecting`) pauses
 *   publishing and the next connect re-sends from the head; one that is not (`SINK_REJECTED`: the
 *   broker refused the message with an MQTT 5 reason code) would fail again, so it is counted in
 *   `rejected`, logged once per reason code, and not retried, rather than blocking every later
 *   reading.
 *
 * At QoS 1 and 2 each message also takes a slot of the {@link SendWindow} it shares with the
 * "latest wins" messages (`publisher.ts`), so the two together stay within the broker's Receive
 * Maximum; a slot is given back on every completion MQTT.js reports, stale ones included.
 */
import type { Logger } from 'pino';
import { isRetryable } from '../../errors.js';
import { publishErrorCode } from './errors.js';
import type { Outbox, OutboxLoadResult } from '../../storage/outbox.js';
import type { MqttMessage } from './topics.js';
import type { SendWindow } from './send-window.js';

/** Publishes one message and calls `done` when MQTT.js completes it (with the error, if any). */
export type PublishFn = (message: MqttMessage, done: (err?: Error | null) => void) => void;

/**
 * Default bound on messages published but not yet acknowledged, when the broker announces no
 * Receive Maximum (MQTT 3.1.1): 64 readings of eight messages.
 */
export const DEFAULT_WINDOW = 512;

/** The outbox plus its in-flight window. Does no I/O of its own but the outbox's file. */
export class MqttOutbox {
  #publish: PublishFn | undefined;
  /**
   * Sequence number of the next entry to publish or finish publishing; entries before it are
   * wholly published (in flight or done).
   */
  #next = 0;
  /** The entry `#next` while some of its messages are published: how far, and its callback. */
  #part: { seq: number; index: number; done: (err?: Error | null) => void } | undefined;
  /**
   * Publishes still unacknowledged, per entry; an entry dropped by the bounds stays here until
   * MQTT.js completes it, so the window also bounds MQTT.js's own store.
   */
  readonly #remaining = new Map<number, number>();
  /** Messages published and not yet completed: the sum of {@link #remaining}. */
  #inFlightMessages = 0;
  /** Messages unacknowledged at most; see {@link setWindow}. */
  #window: number;
  /** Bumped when the window is discarded, so late callbacks of the old window are ignored. */
  #epoch = 0;
  #closed = false;
  #pumping = false;
  #sent = 0;
  #rejected = 0;
  readonly #rejectCodes = new Set<unknown>();
  #waiters: (() => void)[] = [];

  /**
   * @param queue the persisted FIFO of entries (not loaded yet)
   * @param window messages published but not yet acknowledged, at most, until {@link setWindow}
   * @param log the sink's logger
   * @param shared the window shared with the "latest wins" messages, at QoS 1 and 2; none at
   *   QoS 0 (which the Receive Maximum does not cover)
   */
  constructor(
    private readonly queue: Outbox<MqttMessage[]>,
    window: number,
    private readonly log: Logger,
    private readonly shared?: SendWindow,
  ) {
    this.#window = Math.max(1, window);
    shared?.onRoom('readings', () => this.#pump());
  }

  /**
   * Sets the bound on unacknowledged messages, e.g. to the Receive Maximum the broker announced
   * in its CONNACK; applies to the next publish.
   * @param window messages, at least 1
   */
  setWindow(window: number): void {
    this.#window = Math.max(1, Math.floor(window));
    this.#pump();
  }

  /** The bound on unacknowledged messages now in force. */
  get window(): number {
    return this.#window;
  }

  /** Entries waiting, in flight included. */
  get length(): number {
    return this.queue.length;
  }

  /** When the oldest waiting entry was queued, ms; undefined when none waits. */
  get oldestAt(): number | undefined {
    return this.queue.oldestAt;
  }

  /** Entries dropped by the outbox bounds. */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** Entries whose publishes all completed (dropped ones included, when MQTT.js delivered them). */
  get sent(): number {
    return this.#sent;
  }

  /** Messages the broker refused (MQTT 5 only). */
  get rejected(): number {
    return this.#rejected;
  }

  /** Entries published and not yet acknowledged. */
  get inFlight(): number {
    return this.#remaining.size;
  }

  /** Restores the persisted entries, logging how many; they go out before any new one. */
  load(): OutboxLoadResult {
    const result = this.queue.load();
    this.#next = this.queue.headSeq;
    const { restored } = result;
    const file = this.queue.file;
    if (restored > 0)
      this.log.info({ restored, file }, `restored ${restored} readings from ${file}`);
    return result;
  }

  /** Queues one reading's messages and publishes at once when connected. */
  push(entry: MqttMessage[]): void {
    if (this.#closed) return;
    // Entries dropped before they were published are skipped.
    if (this.queue.push(entry) > 0) this.#next = Math.max(this.#next, this.queue.headSeq);
    this.#pump();
  }

  /** The client is connected: publish through `publish` from the first entry not in flight. */
  resume(publish: PublishFn): void {
    this.#publish = publish;
    this.#pump();
  }

  /** The connection is gone: publish nothing until {@link resume}. */
  pause(): void {
    this.#publish = undefined;
  }

  /**
   * Waits (publishing on while connected) until the outbox is empty or `ms` have passed, then
   * {@link close}s it: nothing more is published and what is left is written to the file.
   * @returns true when everything was delivered in time
   */
  async drain(ms: number): Promise<boolean> {
    const empty = new Promise<boolean>((resolve) => {
      if (this.queue.length === 0) resolve(true);
      else this.#waiters.push(() => resolve(true));
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const delivered = await Promise.race([empty, late]);
    clearTimeout(timer);
    this.close();
    return delivered;
  }

  /** Stops publishing, ignores later acknowledgements and persists what is left. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#publish = undefined;
    this.queue.close();
  }

  /**
   * Publishes messages until the window is full or the outbox is exhausted. Not re-entrant: at
   * QoS 0 MQTT.js completes a publish synchronously, and the completion calls back here; the
   * running loop picks the new state up instead of recursing once per message.
   */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const publish = this.#publish;
        if (publish === undefined || this.#closed) return;
        if (this.#inFlightMessages >= this.#window) return;
        const seq = this.#next;
        const entry = this.queue.at(seq - this.queue.headSeq);
        if (entry === undefined) return;
        if (this.shared !== undefined && !this.shared.tryTake('readings')) return;
        let part = this.#part;
        if (part === undefined || part.seq !== seq) {
          const epoch = this.#epoch;
          // One completion per entry, shared by its messages.
          const done = (err?: Error | null): void => this.#completed(seq, epoch, entry, err);
          part = { seq, index: 0, done };
          this.#part = part;
        }
        const m = entry[part.index++] as MqttMessage;
        if (part.index >= entry.length) {
          this.#next++;
          this.#part = undefined;
        }
        this.#remaining.set(seq, (this.#remaining.get(seq) ?? 0) + 1);
        this.#inFlightMessages++;
        publish(m, part.done);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * One message completed: settles it, then publishes on (through the shared window, which
   * offers its freed slot, when there is one).
   * @param err MQTT.js passes `null` or `undefined` for success
   */
  #completed(
    seq: number,
    epoch: number,
    entry: readonly MqttMessage[],
    err: Error | null | undefined,
  ): void {
    this.#settle(seq, epoch, entry, err);
    if (this.shared === undefined) this.#pump();
    else this.shared.release();
  }

  #settle(
    seq: number,
    epoch: number,
    entry: readonly MqttMessage[],
    err: Error | null | undefined,
  ): void {
    if (this.#closed || epoch !== this.#epoch) return;
    if (err) {
      const code = publishErrorCode(err);
      if (isRetryable(code)) {
        // Not delivered and MQTT.js will not re-send it: the connection is going or gone, so
        // wait for the next connect and start over from the head.
        this.log.debug(
          { err, code, topic: entry[0]?.topic },
          'MQTT publish failed; re-sending from the outbox',
        );
        this.#epoch++;
        this.#remaining.clear();
        this.#inFlightMessages = 0;
        this.#part = undefined;
        this.#next = this.queue.headSeq;
        this.#publish = undefined;
        return;
      }
      this.#reject(entry, err);
    }
    const remaining = this.#remaining.get(seq);
    if (remaining === undefined) return; // not in flight (cannot happen within one epoch)
    this.#inFlightMessages--;
    const left = remaining - 1;
    if (left > 0) this.#remaining.set(seq, left);
    else {
      this.#remaining.delete(seq);
      // An entry with messages still to publish is not done yet.
      if (seq < this.#next) this.#entryDone();
    }
  }

  /** Counts an entry whose publishes all completed and removes the completed ones at the head. */
  #entryDone(): void {
    this.#sent++;
    // Acks may complete entries out of order: only a completed head leaves.
    const head = this.queue.headSeq;
    let done = 0;
    while (head + done < this.#next && !this.#remaining.has(head + done)) done++;
    if (done > 0) this.queue.shift(done);
    if (this.queue.length === 0) for (const resolve of this.#waiters.splice(0)) resolve();
  }

  /** Counts a message the broker refused; logs once per reason code. */
  #reject(entry: readonly MqttMessage[], err: Error & { code?: unknown }): void {
    this.#rejected++;
    const reasonCode = err.code;
    if (this.#rejectCodes.has(reasonCode)) return;
    this.#rejectCodes.add(reasonCode);
    this.log.error(
      { err, topic: entry[0]?.topic, code: publishErrorCode(err), reasonCode },
      `MQTT broker refused a publish (${err.message}); not retrying it`,
    );
  }
}
