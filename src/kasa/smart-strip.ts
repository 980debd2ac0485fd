/**
 * Reading a SMART strip (P304M, P316M): its own `get_device_info` and `get_child_device_list`
 * (paged) in one `multipleRequest`, then one `control_child` per outlet carrying that outlet's
 * energy methods (python-kasa `_ChildProtocolWrapper`), as the IOT client reads a strip's
 * outlets one request each. The strip itself has no relay and no energy of its own (python-kasa:
 * the energy module needs `device_on`, which a P304M's own info lacks).
 */
import { PlugError, PlugErrorCode } from '../errors.js';
import type { Measurement } from '../reading.js';
import { normalizeSmartEnergy, normalizeSmartInfo } from './normalize.js';
import { isObject, type Json } from './protocol/json.js';
import {
  childResponse,
  controlChildCall,
  energyMethods,
  multipleAnswers,
  multipleCall,
  parseComponents,
  requireAnswer,
} from './protocol/smart.js';
import type { DeviceSample, OutletSample } from './sample.js';
import type { SmartCaller } from './smart-call.js';
import { energyAnswers, guard } from './smart-values.js';
import { tooManyOutlets } from './strip-models.js';

/** Pages of `get_child_device_list` read at most (a P316M has 6 outlets, one page). */
const MAX_CHILD_PAGES = 8;

/** A strip's outlets and their energy methods; learned at first contact, pruned as they fail. */
export class SmartStrip {
  /** The outlets' energy methods still asked, by child id. */
  readonly #childEnergy = new Map<string, string[]>();

  /**
   * @param caller sends the calls
   * @param target `host:port`, for messages
   */
  constructor(
    private readonly caller: SmartCaller,
    private readonly target: string,
  ) {}

  /**
   * Learns each outlet's energy methods from `get_child_device_component_list`.
   * @param timeoutMs deadline, ms
   * @throws PlugError as `SmartCaller.call`
   */
  async negotiate(timeoutMs: number): Promise<void> {
    const call = { method: 'get_child_device_component_list' };
    const result = await this.caller.call(call, timeoutMs, this.target);
    this.#childEnergy.clear();
    const list = result['child_component_list'];
    for (const child of Array.isArray(list) ? list : []) {
      if (!isObject(child) || typeof child['device_id'] !== 'string') continue;
      const parsed = parseComponents(child, this.target);
      this.#childEnergy.set(child['device_id'], energyMethods(parsed.get('energy_monitoring')));
    }
  }

  /**
   * Reads the strip and each outlet.
   * @param left the ms left of the poll's deadline, asked before each request
   * @returns the strip's identity and rssi, its outlets (relay, alias, W, V, A, kWh) by position
   * @throws PlugError with a stable code; PLUG_BAD_REPLY for a child without `device_id`, a
   *   wrongly typed field, or more outlets than the model has
   */
  async poll(left: () => number): Promise<DeviceSample> {
    const asked = ['get_device_info', 'get_child_device_list'];
    const answers = await this.caller.multiple(asked, left(), this.target);
    const info = requireAnswer(answers, 'get_device_info', this.target);
    const model = typeof info['model'] === 'string' ? info['model'] : undefined;
    const children = await this.#childList(
      requireAnswer(answers, 'get_child_device_list', this.target),
      left,
      model,
    );
    const { values, identity } = guard(this.target, () => normalizeSmartInfo(info));
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
      const own = guard(where, () => normalizeSmartInfo(child));
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
    return { identity, values: stripValues, hasEmeter: metered, outlets };
  }

  /** One outlet's energy through `control_child`. */
  async #childEnergyValues(
    id: string,
    methods: string[],
    where: string,
    timeoutMs: number,
  ): Promise<Measurement> {
    const result = await this.caller.call(
      controlChildCall(id, multipleCall(methods.map((method) => ({ method })))),
      timeoutMs,
      where,
    );
    const inner = childResponse(result, where, 'multipleRequest');
    const answers = multipleAnswers(inner, methods, where);
    const energy = energyAnswers(answers, methods, (m) => {
      this.#childEnergy.set(
        id,
        (this.#childEnergy.get(id) ?? []).filter((x) => x !== m),
      );
    });
    return guard(where, () => normalizeSmartEnergy(energy));
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
      const next = await this.caller.call(
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
}
