/**
 * How `smart-device.ts` sends SMART calls over a KLAP or AES {@link Transport}: one call, or a
 * `multipleRequest` of methods without parameters, within a deadline. A session error inside a
 * reply (`9999`, `-40401`, …) drops the transport's session and the call is sent once more
 * within the deadline (python-kasa resets its transport and retries).
 */
import type { Clock } from '../clock.js';
import { isObject, type Json } from './protocol/json.js';
import {
  multipleAnswers,
  multipleCall,
  parseSmartReply,
  smartRequest,
  terminalUuid,
  type MethodAnswer,
  type SmartCall,
} from './protocol/smart.js';
import { smartErrorKind } from './protocol/smart-errors.js';
import { timeLeft } from './transport/deadline.js';
import type { Transport } from './transport/transport.js';

/** Sends SMART calls to one device. Not safe for concurrent calls. */
export class SmartCaller {
  readonly #terminal = terminalUuid();

  /**
   * @param transport a KLAP or AES transport
   * @param clock deadlines (monotonic) and `request_time_milis` (wall)
   */
  constructor(
    readonly transport: Transport,
    private readonly clock: Clock,
  ) {}

  /**
   * A `multipleRequest` of `methods`, each without parameters.
   * @param methods the methods asked
   * @param timeoutMs deadline, ms
   * @param where what messages name (`host:port`, or an outlet)
   * @returns each asked method's answer (a method the device left out is absent)
   * @throws PlugError as {@link call}; PLUG_BAD_REPLY when `responses` is malformed
   */
  async multiple(
    methods: readonly string[],
    timeoutMs: number,
    where: string,
  ): Promise<Map<string, MethodAnswer>> {
    const call = multipleCall(methods.map((method) => ({ method })));
    return multipleAnswers(await this.call(call, timeoutMs, where), methods, where);
  }

  /**
   * Sends one call; on a session error in the reply, drops the session and sends it once more.
   * @param call the method and its parameters
   * @param timeoutMs deadline for both tries, ms
   * @param where what messages name (`host:port`, or an outlet)
   * @returns the call's `result` (`{}` when absent)
   * @throws PlugError from the transport, or from `parseSmartReply` (PLUG_BAD_JSON, PLUG_AUTH,
   *   PLUG_DEVICE_ERROR)
   */
  async call(call: SmartCall, timeoutMs: number, where: string): Promise<Json> {
    const left = timeLeft(this.clock, timeoutMs);
    for (let attempt = 0; ; attempt++) {
      const text = smartRequest(call, this.clock.now(), this.#terminal);
      const body = await this.transport.request(text, { timeoutMs: left() });
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
