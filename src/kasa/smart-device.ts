/**
 * A SMART device (Tapo P110/P115/P110M, KP125M, EP25 hw 2.6, the P304M and P316M strips) as the
 * collector talks to it: the SMART protocol (`protocol/smart.ts`) over a KLAP or AES
 * {@link Transport}, with the outward shape of the IOT client (`device.ts`).
 *
 * First contact asks `component_nego` and `get_device_info` (python-kasa `SmartDevice._negotiate`)
 * to learn what the device has: `energy_monitoring` (v1: `get_energy_usage`; v2: also
 * `get_current_power`, `get_emeter_data`), `child_device` (a strip). Then each poll of a plug is
 * ONE `multipleRequest`: `get_device_info` and the energy methods. An energy method the device
 * answers with "unknown method" or "params error" is dropped for the life of the client
 * (python-kasa treats them as optional too); another error only loses that method's values for
 * the poll. `get_device_info` must answer.
 *
 * A strip is read by `smart-strip.ts`; the calls go through `smart-call.ts` (a session error in
 * a reply is retried once there).
 */
import { systemClock, type Clock } from '../clock.js';
import { normalizeSmartEnergy, normalizeSmartInfo } from './normalize.js';
import type { PlugIdentity } from '../reading.js';
import {
  childResponse,
  controlChildCall,
  energyMethods,
  parseComponents,
  relayCall,
  requireAnswer,
} from './protocol/smart.js';
import type { DeviceClient, DeviceSample } from './sample.js';
import { SmartCaller } from './smart-call.js';
import { SmartStrip } from './smart-strip.js';
import { energyAnswers, guard } from './smart-values.js';
import type { Transport } from './transport/transport.js';
import { timeLeft } from './transport/deadline.js';

/** A SMART device over a KLAP or AES transport. Not safe for concurrent calls. */
export class SmartDevice implements DeviceClient {
  readonly #caller: SmartCaller;
  readonly #strip: SmartStrip;
  /** Components from `component_nego`; undefined before first contact. */
  #components: Map<string, number> | undefined;
  /** The plug's energy methods still asked. */
  #energy: string[] = [];
  #isStrip = false;

  /**
   * @param transport a KLAP or AES transport
   * @param clock deadlines (monotonic) and `request_time_milis` (wall)
   */
  constructor(
    readonly transport: Transport,
    private readonly clock: Clock = systemClock,
  ) {
    this.#caller = new SmartCaller(transport, clock);
    this.#strip = new SmartStrip(this.#caller, transport.target);
  }

  /** `host:port`, for messages. */
  get target(): string {
    return this.transport.target;
  }

  /** The identity with the transport's kind (`klap`, `aes`: what the status page shows). */
  #withTransport(identity: PlugIdentity): PlugIdentity {
    const kind = this.transport.kind;
    return kind === undefined ? identity : { ...identity, transport: kind };
  }

  /** Closes the transport (its session too). Idempotent. */
  close(): void {
    this.transport.close();
  }

  /**
   * Reads the device: negotiation on first contact, then one `multipleRequest` (plug) or one
   * plus one `control_child` per outlet (strip).
   * @param timeoutMs deadline for the whole poll, ms
   * @returns state (`device_on`), W, V, A, kWh (`today_energy`), dBm, identity; a strip's outlets
   * @throws PlugError with a stable code; PLUG_BAD_REPLY for a field of the wrong type
   */
  async poll(timeoutMs: number): Promise<DeviceSample> {
    const left = timeLeft(this.clock, timeoutMs);
    if (this.#components === undefined) await this.#negotiate(left());
    if (this.#isStrip) {
      const sample = await this.#strip.poll(left);
      return { ...sample, identity: this.#withTransport(sample.identity) };
    }
    const asked = ['get_device_info', ...this.#energy];
    const answers = await this.#caller.multiple(asked, left(), this.target);
    const info = requireAnswer(answers, 'get_device_info', this.target);
    const energy = energyAnswers(answers, this.#energy, (m) => {
      this.#energy = this.#energy.filter((x) => x !== m);
    });
    const { values, identity } = guard(this.target, () => normalizeSmartInfo(info));
    Object.assign(
      values,
      guard(this.target, () => normalizeSmartEnergy(energy)),
    );
    return { identity: this.#withTransport(identity), values, hasEmeter: this.#energy.length > 0 };
  }

  /**
   * Switches the relay with `set_device_info {"device_on": on}`, or one outlet's through
   * `control_child`.
   * @param on true: relay on; false: off
   * @param timeoutMs deadline, ms
   * @param childId a strip outlet's `device_id`
   * @throws PlugError with a stable code; PLUG_DEVICE_ERROR when the device answers an error
   */
  async setRelay(on: boolean, timeoutMs: number, childId?: string): Promise<void> {
    if (childId === undefined) {
      await this.#caller.call(relayCall(on), timeoutMs, this.target);
      return;
    }
    const result = await this.#caller.call(
      controlChildCall(childId, relayCall(on)),
      timeoutMs,
      this.target,
    );
    childResponse(result, this.target, 'set_device_info');
  }

  async #negotiate(timeoutMs: number): Promise<void> {
    const left = timeLeft(this.clock, timeoutMs);
    const answers = await this.#caller.multiple(
      ['component_nego', 'get_device_info'],
      left(),
      this.target,
    );
    const components = parseComponents(
      requireAnswer(answers, 'component_nego', this.target),
      this.target,
    );
    const info = requireAnswer(answers, 'get_device_info', this.target);
    this.#isStrip = components.has('child_device');
    // python-kasa: the energy module needs `device_on` (a strip's own info has none).
    this.#energy = 'device_on' in info ? energyMethods(components.get('energy_monitoring')) : [];
    if (this.#isStrip) await this.#strip.negotiate(left());
    this.#components = components;
  }
}
