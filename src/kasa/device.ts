import { systemClock, type Clock } from '../clock.js';
import { PlugError, PlugErrorCode } from '../errors.js';
import type { Measurement, PlugIdentity } from '../reading.js';
import {
  ReplyFieldError,
  childrenOf,
  hasEmeter,
  normalize,
  normalizeEmeter,
  type ChildSysinfo,
} from './normalize.js';
import {
  BATCH_REQUEST,
  SYSINFO_REQUEST,
  outletEmeterRequest,
  parseOutletEmeterReply,
  parsePollReply,
} from './protocol/iot.js';
import {
  RELAY_OFF_REQUEST,
  RELAY_ON_REQUEST,
  checkRelayReply,
  outletRelayRequest,
} from './protocol/iot-relay.js';
import type { DeviceClient, DeviceSample, OutletSample } from './sample.js';
import type { Transport } from './transport/transport.js';
import { timeLeft } from './transport/deadline.js';

export type { DeviceClient, DeviceSample, OutletSample } from './sample.js';

/**
 * One TP-Link device as the collector talks to it: the IOT protocol (`protocol/iot.ts`) over a
 * {@link Transport}, and whether the device has an emeter, learned from sysinfo on first contact
 * and refreshed from every reply, so a plug swapped for another model at the same address is
 * followed. python-kasa draws the same line between its `IotDevice` and its transports.
 *
 * Any failed poll, including a reply whose content is wrong, closes the transport: a reply that
 * does not fit its request may be a desynchronized one, and the next poll starts afresh.
 *
 * Not safe for concurrent calls: the collector runs one request per device at a time.
 */
export class KasaDevice implements DeviceClient {
  /** `undefined` until the first sysinfo has been seen. */
  #emeter: boolean | undefined;
  /** True once sysinfo showed `children[]`: every poll is then sysinfo + one request per outlet. */
  #strip = false;
  /** Outlet emeter requests by child id, built once (they are constant). */
  readonly #outletRequests = new Map<string, string>();

  /**
   * @param transport moves the requests (the XOR transport on TCP 9999 for IOT plugs)
   * @param clock measures each poll's remaining deadline (monotonic)
   */
  constructor(
    readonly transport: Transport,
    private readonly clock: Clock = systemClock,
  ) {}

  /** `host:port`, for messages. */
  get target(): string {
    return this.transport.target;
  }

  /** Closes the transport (the next request reopens it). Idempotent. */
  close(): void {
    this.transport.close();
  }

  /** Whether the device has an emeter, or `undefined` before first contact. */
  get emeter(): boolean | undefined {
    return this.#emeter;
  }

  /**
   * Switches the relay (`system.set_relay_state`, `protocol/iot-relay.ts`) on the same transport
   * as the polls. Like `poll()`, not to be called while another request is in flight: the
   * collector runs both through the device's queue (`PolledDevice.exclusive`).
   * @param on true: relay on; false: off
   * @param timeoutMs deadline, ms
   * @param childId a strip outlet's id: switch that outlet only (`context.child_ids`)
   * @throws PlugError with a stable code; `PLUG_DEVICE_ERROR` when the plug answers `err_code`

   */
  async setRelay(on: boolean, timeoutMs: number, childId?: string): Promise<void> {
    const request =
      childId === undefined
        ? on
          ? RELAY_ON_REQUEST
          : RELAY_OFF_REQUEST
        : outletRelayRequest(childId, on);
    const body = await this.transport.request(request, { timeoutMs });
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
   * A power strip (sysinfo `children[]`, HS300, KP303) is read as sysinfo, then, when it has an
   * emeter, one `emeter.get_realtime` per outlet with `"context":{"child_ids":[id]}` on the same
   * connection (docs/protocol.md#power-strips: one outlet per request; without a context the
   * HS300 answers for one outlet only). Any failed request fails the whole poll: the outlets share
   * one connection.
   *
   * @param timeoutMs deadline for the whole poll, ms (each request gets what remains)
   * @returns normalized values (V, A, W, kWh, ON/OFF, dBm) and identity; a strip's outlets
   * @throws PlugError with a stable code; field type problems become PLUG_BAD_REPLY; a strip
   *   whose outlets cannot all be read in time PLUG_TIMEOUT
   */
  async poll(timeoutMs: number): Promise<DeviceSample> {
    const emeter = this.#emeter;
    if (emeter === undefined || this.#strip) return this.firstOrStrip(timeoutMs);
    // The usual poll of a known plug: one request with the whole deadline, no closures.
    const started = this.clock.monotonic();
    const reply = await this.request(emeter, timeoutMs);
    if (reply.sysinfo['children'] === undefined) return this.sample(reply.sysinfo, reply.emeter);
    return this.movedStrip(reply.sysinfo, timeLeft(this.clock, timeoutMs, started));
  }

  /** First contact (sysinfo first), or a strip (sysinfo, then one emeter request per outlet). */
  private async firstOrStrip(timeoutMs: number): Promise<DeviceSample> {
    const remaining = timeLeft(this.clock, timeoutMs);
    const first = await this.request(false, timeoutMs);
    this.#emeter = hasEmeter(first.sysinfo);
    const children = this.guard(() => childrenOf(first.sysinfo));
    this.#strip = children !== undefined;
    if (children !== undefined) return this.stripSample(first.sysinfo, children, remaining);
    if (!this.#emeter) return this.sample(first.sysinfo, undefined);
    const reply = await this.request(true, remaining());
    if (reply.sysinfo['children'] === undefined) return this.sample(reply.sysinfo, reply.emeter);
    return this.movedStrip(reply.sysinfo, remaining);
  }

  /** A strip now answers at this address: its batched emeter is one outlet's; read it as a strip. */
  private movedStrip(
    sysinfo: Record<string, unknown>,
    remaining: () => number,
  ): Promise<DeviceSample> {
    this.#strip = true;
    const children = this.guard(() => childrenOf(sysinfo)) ?? [];
    return this.stripSample(sysinfo, children, remaining);
  }

  /** Runs a normalizing step; a field of the wrong type closes the connection and becomes PLUG_BAD_REPLY. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.replyError(err);
    }
  }

  /** What a normalizing step's failure becomes: PLUG_BAD_REPLY (connection closed) for a bad field. */
  private replyError(err: unknown): unknown {
    if (!(err instanceof ReplyFieldError)) return err;
    this.close();
    return new PlugError(PlugErrorCode.BAD_REPLY, this.target, err.message, err);
  }

  private async stripSample(
    sysinfo: Record<string, unknown>,
    children: ChildSysinfo[],
    remaining: () => number,
  ): Promise<DeviceSample> {
    const { values, identity } = this.guard(() => normalize(sysinfo));
    const emeter = this.#emeter === true;
    const outlets: OutletSample[] = [];
    for (const [i, child] of children.entries()) {
      const outlet: OutletSample = { id: child.id, position: i + 1, values: {} };
      if (child.alias !== undefined) outlet.alias = child.alias;
      if (child.state !== undefined) outlet.values.state = child.state;
      if (emeter)
        Object.assign(outlet.values, await this.outletEmeter(child.id, i + 1, remaining()));
      outlets.push(outlet);
    }
    return { identity: this.withTransport(identity), values, hasEmeter: emeter, outlets };
  }

  private async outletEmeter(
    id: string,
    position: number,
    timeoutMs: number,
  ): Promise<Measurement> {
    let request = this.#outletRequests.get(id);
    if (request === undefined) {
      request = outletEmeterRequest(id);
      this.#outletRequests.set(id, request);
    }
    const body = await this.transport.request(request, { timeoutMs });
    const target = `${this.target} outlet ${position}`;
    try {
      return normalizeEmeter(parseOutletEmeterReply(body, target));
    } catch (err) {
      this.close();
      if (err instanceof ReplyFieldError)
        throw new PlugError(PlugErrorCode.BAD_REPLY, target, err.message, err);
      throw err;
    }
  }

  private async request(withEmeter: boolean, timeoutMs: number) {
    const request = withEmeter ? BATCH_REQUEST : SYSINFO_REQUEST;
    const body = await this.transport.request(request, { timeoutMs });
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
  ): DeviceSample {
    const emeterNow = hasEmeter(sysinfo);
    if (this.#emeter !== emeterNow) this.#emeter = emeterNow;
    let normalized: ReturnType<typeof normalize>;
    try {
      normalized = normalize(sysinfo, emeter); // not through guard(): no closure per poll
    } catch (err) {
      throw this.replyError(err);
    }
    const { values, identity } = normalized;
    return { values, identity: this.withTransport(identity), hasEmeter: emeterNow };
  }

  /**
   * The identity with the transport's kind (what the status page shows), when it has one. Set
   * in place: `identity` is the fresh object `normalize` built for this poll.
   */
  private withTransport(identity: PlugIdentity): PlugIdentity {
    const kind = this.transport.kind;
    if (kind !== undefined) identity.transport = kind;
    return identity;
  }
}
