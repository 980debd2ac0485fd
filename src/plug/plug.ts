import { PlugError, PlugErrorCode } from '../errors.js';
import { PlugConnection } from '../protocol/connection.js';
import type { exchange, PlugAddress } from '../protocol/transport.js';
import { BATCH_FRAME, SYSINFO_FRAME, parsePollReply } from './query.js';
import { RELAY_OFF_FRAME, RELAY_ON_FRAME, checkRelayReply } from './relay.js';
import {
  ReplyFieldError,
  hasEmeter,
  normalize,
  type Measurement,
  type PlugIdentity,
} from './reading.js';

/** What one successful poll of a plug yields, before it is stamped with a tick and a device. */
export interface PlugSample {
  identity: PlugIdentity;
  values: Measurement;
  hasEmeter: boolean;
}

/** An exchange function a test can inject into a {@link Plug} to count or fake requests. */
export type Exchange = typeof exchange;

/**
 * One plug's session: its kept-alive connection (`connection.ts`) and whether it has an emeter,
 * learned from sysinfo on first contact and refreshed from every reply, so a plug swapped for
 * another model at the same address is followed.
 *
 * Any failed poll, including a reply whose content is wrong, closes the connection: a reply that
 * does not fit its request may be a desynchronized one, and the next poll starts afresh.
 *
 * Not safe for concurrent `poll()` calls: the poller guarantees one poll per plug at a time.
 */
export class Plug {
  /** `undefined` until the first sysinfo has been seen. */
  #emeter: boolean | undefined;
  readonly target: string;
  readonly #connection: PlugConnection | undefined;
  readonly #send: Exchange | undefined;

  /**
   * @param address host and TCP port
   * @param send an exchange function a test injects; default: a kept-alive TCP connection
   */
  constructor(
    readonly address: PlugAddress,
    send?: Exchange,
  ) {
    this.target = `${address.host}:${address.port}`;
    this.#send = send;
    if (send === undefined) this.#connection = new PlugConnection(address);
  }

  /** Closes the kept-alive connection, if any (the next poll would open a new one). Idempotent. */
  close(): void {
    this.#connection?.close();
  }

  /** Whether the plug has an emeter, or `undefined` before first contact. */
  get emeter(): boolean | undefined {
    return this.#emeter;
  }

  /**
   * Switches the relay (`system.set_relay_state`, `relay.ts`) on the same connection as the
   * polls. Like `poll()`, not to be called while another request is in flight: the collector
   * runs both through the device's queue (`DeviceState.exclusive`).
   * @param on true: relay on; false: off
   * @param timeoutMs deadline, ms
   * @throws PlugError with a stable code; `PLUG_DEVICE_ERROR` when the plug answers `err_code`
   */
  async setRelay(on: boolean, timeoutMs: number): Promise<void> {
    const frame = on ? RELAY_ON_FRAME : RELAY_OFF_FRAME;
    const body =
      this.#connection !== undefined
        ? await this.#connection.request(frame, { timeoutMs })
        : await (this.#send as Exchange)(this.address, frame, { timeoutMs });
    try {
      checkRelayReply(body, this.target);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * Reads the plug once: sysinfo alone on first contact, then one batched sysinfo + emeter
   * request (emeter only when sysinfo `feature` has `ENE`). On first contact with an emeter plug
   * both requests run, so the first tick already carries power.
   *
   * @param timeoutMs deadline for the whole poll, ms (each request gets what remains)
   * @returns normalized values (V, A, W, kWh, ON/OFF, dBm) and identity
   * @throws PlugError with a stable code; field type problems become PLUG_BAD_REPLY
   */
  async poll(timeoutMs: number): Promise<PlugSample> {
    const started = Date.now();
    if (this.#emeter === undefined) {
      const first = await this.request(false, timeoutMs);
      this.#emeter = hasEmeter(first.sysinfo);
      if (!this.#emeter) return this.sample(first.sysinfo, undefined);
    }
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    const reply = await this.request(this.#emeter === true, remaining);
    return this.sample(reply.sysinfo, reply.emeter);
  }

  private async request(withEmeter: boolean, timeoutMs: number) {
    const frame = withEmeter ? BATCH_FRAME : SYSINFO_FRAME;
    const body =
      this.#connection !== undefined
        ? await this.#connection.request(frame, { timeoutMs })
        : await (this.#send as Exchange)(this.address, frame, { timeoutMs });
    try {
      return parsePollReply(body, withEmeter, this.target);
    } catch (err) {
      this.close();
      // A plug that lost its emeter (swapped model) answers err_code: re-learn from sysinfo next time.
      if (withEmeter && err instanceof PlugError && err.code === PlugErrorCode.DEVICE_ERROR) {
        this.#emeter = undefined;
      }
      throw err;
    }
  }

  private sample(
    sysinfo: Record<string, unknown>,
    emeter: Record<string, unknown> | undefined,
  ): PlugSample {
    const emeterNow = hasEmeter(sysinfo);
    if (this.#emeter !== emeterNow) this.#emeter = emeterNow;
    try {
      const { values, identity } = normalize(sysinfo, emeter);
      return { values, identity, hasEmeter: emeterNow };
    } catch (err) {
      if (err instanceof ReplyFieldError) {
        this.close();
        throw new PlugError(PlugErrorCode.BAD_REPLY, this.target, err.message, err);
      }
      throw err;
    }
  }
}
