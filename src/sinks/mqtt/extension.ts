/**
 * What the MQTT sink does besides readings, one feature per file (zigbee2mqtt's
 * `lib/extension/`): Home Assistant discovery (`../homeassistant/extension.ts`) and relay
 * commands (`relay-commands.ts`). The sink owns the client and calls these hooks; an extension
 * publishes through the function it was given, which drops the message while disconnected, so an
 * extension must republish what it needs in `onConnect()` ("latest wins", like `info`).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { DeviceInfo, Reading } from '../../reading.js';
import type { MqttMessage } from './topics.js';

/**
 * When connected, publishes at `mqtt.qos` (at most 1) as soon as the broker's Receive Maximum
 * leaves room (`publisher.ts`; a newer message on the same topic replaces a waiting one); drops
 * the message otherwise.
 */
export type Publish = (m: MqttMessage) => void;

/** One feature riding on the MQTT sink's connection. Hooks must not throw. */
export interface MqttExtension {
  /** Topic filters subscribed on every connect. */
  readonly subscriptions: readonly string[];
  /** The connection came up: (re)publish retained state. */
  onConnect(): void;
  /** A reading the sink accepted. */
  onReading?(reading: Reading): void;
  /** A message on one of {@link subscriptions}; `retained` when the broker replayed it. */
  onMessage?(topic: string, payload: string, retained: boolean): void;
  /** The device was dropped from the config. */
  removed?(device: DeviceInfo): void;
}

/**
 * Builds a sink's extensions once it can publish: the composition root (`src/main.ts`) chooses
 * them from the config; the sink calls this from its constructor with its publish-if-connected,
 * its logger and its clock.
 */
export type ExtensionFactory = (publish: Publish, log: Logger, clock: Clock) => MqttExtension[];
