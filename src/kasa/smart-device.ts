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
 * A strip is read as its own `get_device_info` and `get_child_device_list` (paged) in one
 * `multipleRequest`, then one `control_child` per outlet carrying that outlet's energy methods
 * (python-kasa `_ChildProtocolWrapper`), as the IOT client reads a strip's outlets one request each.
 * The strip itself has no relay and no energy of its own (python-kasa: the energy module needs
 * `device_on`, which a P304M's own info lacks).
 *
 * A session error inside a reply (`9999`, `-40401`, …) drops the transport's session and the
 * request is sent once more within the deadline (python-kasa resets its transport and retries).
 */
import { systemClock, type Clock } from '../clock.js';
import { PlugError, PlugErrorCode } from '../errors.js';
import type { Measurement, PlugIdentity } from '../reading.js';
import {
  normalizeSmartEnergy,
  normalizeSmartInfo,
  ReplyFieldError,
  type SmartEnergyAnswers,
} from './normalize.js';
import {
  answerKind,
  childResponse,
  controlChildCall,
  energyMethods,
  multipleAnswers,
  multipleCall,
  parseComponents,
  parseSmartReply,
  relayCall,
  requireAnswer,
  smartRequest,
  terminalUuid,
  type MethodAnswer,
  type SmartCall,
} from './protocol/smart.js';
import { smartErrorKind } from './protocol/smart-errors.js';
import type { DeviceClient, DeviceSample, OutletSample } from './sample.js';
import { tooManyOutlets } from './strip-models.js';
import type { Transport } from './transport/transport.js';
import { isObject, type Json } from './protocol/json.js';

/** Pages of `get_child_device_list` read at most (a P316M has 6 outlets, one page). */
const MAX_CHILD_PAGES = 8;

/** A SMART device over a KLAP or AES transport. Not safe for concurrent calls. */
export class SmartDevice implements DeviceClient {
  readonly #terminal = terminalUuid();
  /** Components from `component_nego`; undefined before first contact. */
  #components: Map<string, number> | undefined;
  /** The plug's energy methods still asked. */
  #energy: string[] = [];
  #strip = false;
  /** A strip's outlets' energy methods, by child id (from `get_child_device_component_list`). */
  readonly #childEnergy = new Map<string, string[]>();

  /**
   * @param transport a KLAP or AES transport
   * @param clock deadlines (monotonic) and `request_time_milis` (wall)
   */
  constructor(
    readonly transport: Transport,
    private readonly clock: Clock = systemClock,
  ) {}

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
    const started = this.clock.monotonic();
    const left = (): number => Math.max(1, timeoutMs - (this.clock.monotonic() - started));
    if (this.#components === undefined) await this.#negotiate(left());
    if (this.#strip) return this.#pollStrip(left);
    const asked = ['get_device_info', ...this.#energy];
    const answers = await this.#multiple(asked, left(), this.target);
    const info = requireAnswer(answers, 'get_device_info', this.target);
    const energy = this.#energyAnswers(answers, this.#energy, (m) => {
      this.#energy = this.#energy.filter((x) => x !== m);
    });
    const { values, identity } = this.#guard(this.target, () => normalizeSmartInfo(info));
    Object.assign(
      values,
      this.#guard(this.target, () => normalizeSmartEnergy(energy)),
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
      await this.#call(relayCall(on), timeoutMs, this.target);
      return;
    }
    const result = await this.#call(
      controlChildCall(childId, relayCall(on)),
      timeoutMs,
      this.target,
    );
    childResponse(result, this.target, 'set_device_info');
  }

  async #negotiate(timeoutMs: number): Promise<void> {
    const started = this.clock.monotonic();
    const left = (): number => Math.max(1, timeoutMs - (this.clock.monotonic() - started));
    const answers = await this.#multiple(
      ['component_nego', 'get_device_info'],
      left(),
      this.target,
    );
    const components = parseComponents(
      requireAnswer(answers, 'component_nego', this.target),
      this.target,
    );
    const info = requireAnswer(answers, 'get_device_info', this.target);
    this.#strip = components.has('child_device');
    // python-kasa: the energy module needs `device_on` (a strip's own info has none).
    this.#energy = 'device_on' in info ? energyMethods(components.get('energy_monitoring')) : [];
    if (this.#strip) {
      const call: SmartCall = { method: 'get_child_device_component_list' };
      const result = await this.#call(call, left(), this.target);
      this.#childEnergy.clear();
      const list = result['child_component_list'];
      for (const child of Array.isArray(list) ? list : []) {
        if (!isObject(child) || typeof child['device_id'] !== 'string') continue;
        const parsed = parseComponents(child, this.target);
        this.#childEnergy.set(child['device_id'], energyMethods(parsed.get('energy_monitoring')));
      }
    }
    this.#components = components;
  }

  async #pollStrip(left: () => number): Promise<DeviceSample> {
    const asked = ['get_device_info', 'get_child_device_list'];
    const answers = await this.#multiple(asked, left(), this.target);
    const info = requireAnswer(answers, 'get_device_info', this.target);
    const model = typeof info['model'] === 'string' ? info['model'] : undefined;
    const children = await this.#childList(
      requireAnswer(answers, 'get_child_device_list', this.target),
      left,
      model,
    );
    const { values, identity } = this.#guard(this.target, () => normalizeSmartInfo(info));
    const stripValues: Measurement = values.rssi === undefined ? {} : { rssi: values.rssi };
    const outlets: OutletSample[] = [];
    let metered = false;
    for (const [i, child] of children.entries()) {
      const id = child['device_id'];
      if (typeof id !== 'string' || id === '') {
        throw new PlugError(
          PlugErrorCode.BAD_REPLY,
          this.target,
          `child ${i + 1} has no device_id`,
        );
      }
      const position = typeof child['position'] === 'number' ? child['position'] : i + 1;
      const where = `${this.target} outlet ${position}`;
      const own = this.#guard(where, () => normalizeSmartInfo(child));
      const outlet: OutletSample = { id, position, values: {} };
      if (own.identity.alias !== undefined) outlet.alias = own.identity.alias;
      if (own.values.state !== undefined) outlet.values.state = own.values.state;
      const methods = this.#childEnergy.get(id) ?? [];
      if (methods.length > 0) {
        metered = true;
        Object.assign(outlet.values, await this.#childEnergyValues(id, methods, where, left()));
      }
      outlets.push(outlet);
    }
    outlets.sort((a, b) => a.position - b.position);
    return {
      identity: this.#withTransport(identity),
      values: stripValues,
      hasEmeter: metered,
      outlets,
    };
  }

  /** One outlet's energy through `control_child`. */
  async #childEnergyValues(
    id: string,
    methods: string[],
    where: string,
    timeoutMs: number,
  ): Promise<Measurement> {
    const result = await this.#call(
      controlChildCall(id, multipleCall(methods.map((method) => ({ method })))),
      timeoutMs,
      where,
    );
    const inner = childResponse(result, where, 'multipleRequest');
    const answers = multipleAnswers(inner, methods, where);
    const energy = this.#energyAnswers(answers, methods, (m) => {
      this.#childEnergy.set(
        id,
        (this.#childEnergy.get(id) ?? []).filter((x) => x !== m),
      );
    });
    return this.#guard(where, () => normalizeSmartEnergy(energy));
  }

  /**
   * All pages of `get_child_device_list`, once the count they claim is plausible for `model`
   * (`strip-models.ts`): PLUG_BAD_REPLY before any page or outlet is asked otherwise.
   */
  async #childList(first: Json, left: () => number, model: string | undefined): Promise<Json[]> {
    const refuse = (count: number): void => {
      const why = tooManyOutlets(model, count);
      if (why !== undefined) throw new PlugError(PlugErrorCode.BAD_REPLY, this.target, why);
    };
    const list = (page: Json): Json[] => {
      const l = page['child_device_list'];
      if (!Array.isArray(l)) {
        throw new PlugError(
          PlugErrorCode.BAD_REPLY,
          this.target,
          'get_child_device_list without child_device_list',
        );
      }
      return l.filter(isObject);
    };
    const out = list(first);
    const sum = typeof first['sum'] === 'number' ? first['sum'] : out.length;
    refuse(Math.max(sum, out.length));
    for (let page = 1; out.length < sum && page < MAX_CHILD_PAGES; page++) {
      const next = await this.#call(
        { method: 'get_child_device_list', params: { start_index: out.length } },
        left(),
        this.target,
      );
      const more = list(next);
      if (more.length === 0) break;
      out.push(...more);
    }
    refuse(out.length);
    return out;
  }

  /** The energy answers that succeeded; `drop` is told of each method the device lacks. */
  #energyAnswers(
    answers: Map<string, MethodAnswer>,
    methods: readonly string[],
    drop: (method: string) => void,
  ): SmartEnergyAnswers {
    const out: SmartEnergyAnswers = {};
    for (const m of methods) {
      const a = answers.get(m);
      const kind = answerKind(a);
      if (kind === 'unsupported') drop(m);
      if (kind !== 'ok' || a?.result === undefined) continue;
      if (m === 'get_emeter_data') out.emeterData = a.result;
      else if (m === 'get_energy_usage') out.energyUsage = a.result;
      else if (m === 'get_current_power') out.currentPower = a.result;
    }
    return out;
  }

  async #multiple(
    methods: readonly string[],
    timeoutMs: number,
    where: string,
  ): Promise<Map<string, MethodAnswer>> {
    const call = multipleCall(methods.map((method) => ({ method })));
    return multipleAnswers(await this.#call(call, timeoutMs, where), methods, where);
  }

  /** Sends one call; on a session error in the reply, drops the session and sends it once more. */
  async #call(call: SmartCall, timeoutMs: number, where: string): Promise<Json> {
    const started = this.clock.monotonic();
    for (let attempt = 0; ; attempt++) {
      const left = Math.max(1, timeoutMs - (this.clock.monotonic() - started));
      const text = smartRequest(call, this.clock.now(), this.#terminal);
      const body = await this.transport.request(text, { timeoutMs: left });
      try {
        return parseSmartReply(body, where, call.method);
      } catch (err) {
        const code = sessionCode(body);
        if (attempt === 0 && code !== undefined && smartErrorKind(code) === 'session') {
          this.transport.close();
          continue;
        }
        throw err;
      }
    }
  }

  /** Runs a normalizing step; a field of the wrong type becomes PLUG_BAD_REPLY. */
  #guard<T>(target: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ReplyFieldError) {
        throw new PlugError(PlugErrorCode.BAD_REPLY, target, err.message, err);
      }
      throw err;
    }
  }
}

/** The reply's top-level `error_code` when it is a number other than 0. */
function sessionCode(body: Buffer): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const code = isObject(parsed) ? parsed['error_code'] : undefined;
    return typeof code === 'number' && code !== 0 ? code : undefined;
  } catch {
    return undefined;
  }
}
