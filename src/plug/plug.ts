import { PlugError, PlugErrorCode } from '../errors.js';
import { exchange, type PlugAddress } from '../protocol/transport.js';
import { BATCH_FRAME, SYSINFO_FRAME, parsePollReply } from './query.js';
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

/** The exchange function a {@link Plug} uses; injectable so tests can count or fake requests. */
export type Exchange = typeof exchange;

/**
 * One plug's query state: whether it has an emeter is learned from sysinfo on first contact and
 * refreshed from every reply, so a plug swapped for another model at the same address is
 * followed.
 *
 * Not safe for concurrent `poll()` calls: the poller guarantees one poll per plug at a time.
 */
export class Plug {
  /** `undefined` until the first sysinfo has been seen. */
  #emeter: boolean | undefined;
  readonly target: string;

  /**
   * @param address host and TCP port
   * @param send the exchange function (the real TCP transport unless a test injects one)
   */
  constructor(
    readonly address: PlugAddress,
    private readonly send: Exchange = exchange,
  ) {
    this.target = `${address.host}:${address.port}`;
  }

  /** Whether the plug has an emeter, or `undefined` before first contact. */
  get emeter(): boolean | undefined {
    return this.#emeter;
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
    const body = await this.send(this.address, withEmeter ? BATCH_FRAME : SYSINFO_FRAME, {
      timeoutMs,
    });
    try {
      return parsePollReply(body, withEmeter, this.target);
    } catch (err) {
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
        throw new PlugError(PlugErrorCode.BAD_REPLY, this.target, err.message, err);
      }
      throw err;
    }
  }
}
