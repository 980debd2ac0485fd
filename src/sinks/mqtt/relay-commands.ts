/**
 * Relay commands from `<p>/<name>/set` (and `<p>/<strip>/<outlet>/set`): parsed here, handed to the collector (injected by the
 * service), which decides whether the device takes commands (`devices[].control`).
 *
 * Failure policy: a malformed payload is refused with a warning naming the device and the
 * accepted forms, never thrown; a retained command is ignored (a broker would replay it at every
 * connect, and a replayed `TOGGLE` flips the relay at each restart).
 */
import type { Logger } from 'pino';
import type { RelayCommand, RelayCommandHandler } from '../sink.js';
import type { MqttExtension } from './extension.js';
import { parseRelayAction } from './relay-payload.js';

/** The relay command {@link MqttExtension}. */
export class MqttRelayCommands implements MqttExtension {
  readonly subscriptions: readonly string[];

  /**
   * @param prefix `mqtt.topicPrefix`
   * @param handler where commands go (the collector's `relayCommand`)
   * @param log the sink's logger
   */
  constructor(
    private readonly prefix: string,
    private readonly handler: RelayCommandHandler,
    private readonly log: Logger,
  ) {
    this.subscriptions = [`${prefix}/+/set`, `${prefix}/+/+/set`];
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
    if (retained) {
      this.log.warn(
        { device: name, topic },
        'retained relay command ignored; publish commands without retain',
      );
      return;
    }
    const action = parseRelayAction(payload);
    if (action === undefined) {
      this.log.warn(
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
}
