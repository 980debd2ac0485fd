/**
 * Relay commands from `<p>/<name>/set` (and `<p>/<strip>/<outlet>/set`): parsed here, handed to the collector (injected by the
 * service), which decides whether the device takes commands (`devices[].control`).
 *
 * Failure policy: a malformed payload is refused with a warning naming the device and the
 * accepted forms, never thrown; a retained command is ignored (a broker would replay it at every
 * connect, and a replayed `TOGGLE` flips the relay at each restart); a topic level that cannot
 * be a device name (`NAME_PATTERN`: at most 64 of `a-z0-9_-`) is ignored before anything keeps
 * or logs it whole. Anyone who can publish to the broker can send these, in a loop: each kind of
 * warning is logged at most once a minute, with the count of those not logged.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../clock.js';
import { heldNote, LogThrottle } from '../../log/throttle.js';
import { NAME_PATTERN } from '../../reading.js';
import type { RelayCommand, RelayCommandHandler } from '../sink.js';
import type { MqttExtension } from './extension.js';
import { parseRelayAction } from './relay-payload.js';

/** Least time between two warnings of one kind, ms. */
export const COMMAND_WARNING_INTERVAL_MS = 60_000;

/** The relay command {@link MqttExtension}. */
export class MqttRelayCommands implements MqttExtension {
  readonly subscriptions: readonly string[];
  readonly #warnings: LogThrottle;

  /**
   * @param prefix `mqtt.topicPrefix`
   * @param handler where commands go (the collector's `relayCommand`)
   * @param log the sink's logger
   * @param clock paces the warnings; default the system clock
   */
  constructor(
    private readonly prefix: string,
    private readonly handler: RelayCommandHandler,
    private readonly log: Logger,
    clock: Pick<Clock, 'monotonic'> = systemClock,
  ) {
    this.subscriptions = [`${prefix}/+/set`, `${prefix}/+/+/set`];
    this.#warnings = new LogThrottle(clock, { perKeyMs: COMMAND_WARNING_INTERVAL_MS });
  }

  /** Nothing retained to republish. */
  onConnect(): void {}

  /** Parses `<p>/<name>/set` or `<p>/<strip>/<outlet>/set` into a {@link RelayCommand} and hands it on. */
  onMessage(topic: string, payload: string, retained: boolean): void {
    const head = `${this.prefix}/`;
    if (!topic.startsWith(head) || !topic.endsWith('/set')) return;
    const name = topic.slice(head.length, -'/set'.length);
    const levels = name.split('/');
    if (levels.some((level) => level === '') || levels.length > 2) return;
    if (!levels.every((level) => NAME_PATTERN.test(level))) {
      this.#warn(
        'name',
        { device: name.slice(0, 64), length: name.length },
        'relay command ignored: not a device name (at most 64 of a-z, 0-9, "_" and "-")',
      );
      return;
    }
    if (retained) {
      this.#warn(
        'retained',
        { device: name },
        'retained relay command ignored; publish commands without retain',
      );
      return;
    }
    const action = parseRelayAction(payload);
    if (action === undefined) {
      this.#warn(
        'malformed',
        { device: name, payload: payload.slice(0, 64) },
        'malformed relay command rejected; send ON, OFF, TOGGLE or {"state":"ON"}',
      );
      return;
    }
    const [device, outlet] = levels as [string, string | undefined];
    const command: RelayCommand =
      outlet === undefined ? { device, action } : { device, outlet, action };
    try {
      this.handler(command);
    } catch (err) {
      this.log.error({ err, device: name }, 'relay command handler failed');
    }
  }

  /** A warning of one `kind`, unless one went out within the last minute. */
  #warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const held = this.#warnings.take(kind);
    if (held !== undefined) this.log.warn(fields, `${message}${heldNote(held)}`);
  }
}
