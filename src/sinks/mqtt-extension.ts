/**
 * What the MQTT sink does besides readings, one feature per file (zigbee2mqtt's
 * `lib/extension/`): Home Assistant discovery (`ha-extension.ts`) and relay commands
 * (`mqtt-commands.ts`). The sink owns the client and calls these hooks; an extension publishes
 * through the function it was given, which drops the message while disconnected, so an
 * extension must republish what it needs in `onConnect()` ("latest wins", like `info`).
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { HomeAssistantConfig, MqttConfig } from '../config.js';
import type { DeviceInfo, Reading } from '../plug/reading.js';
import { HaDiscovery } from './ha-extension.js';
import type { CommandHandler } from './mqtt-commands.js';
import { MqttCommands } from './mqtt-commands.js';
import type { MqttMessage } from './mqtt-topics.js';

/** Publishes now at `mqtt.qos` when connected; drops the message otherwise. */
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

/** What the extensions need beyond the `mqtt` slice; each is off when its part is absent. */
export interface ExtensionOptions {
  /** The `homeassistant` slice; discovery runs when `enabled` and `mqtt.format` is `default`. */
  homeassistant?: HomeAssistantConfig;
  /** Where relay commands go; absent: `<p>/+/set` is not subscribed. */
  onCommand?: CommandHandler;
  /** For the discovery origin; default: package.json's version. */
  version?: string;
}

/** package.json's version (src/sinks/ and dist/sinks/ are both two levels down). */
function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/**
 * The extensions a config enables, in hook order.
 * @param config the `mqtt` slice (prefix, format)
 * @param options the HA slice, the command handler, the version
 * @param publish the sink's publish-if-connected
 * @param log the sink's logger
 */
export function buildExtensions(
  config: Pick<MqttConfig, 'topicPrefix' | 'format'>,
  options: ExtensionOptions,
  publish: Publish,
  log: Logger,
): MqttExtension[] {
  const out: MqttExtension[] = [];
  const ha = options.homeassistant;
  if (ha?.enabled === true && config.format === 'tasmota') {
    log.warn('homeassistant discovery is not published with mqtt.format "tasmota"');
  } else if (ha?.enabled === true) {
    const version = options.version ?? packageVersion();
    const ctx = { haPrefix: ha.prefix, topicPrefix: config.topicPrefix, version };
    out.push(new HaDiscovery(ctx, publish, log));
  }
  if (options.onCommand !== undefined) {
    out.push(new MqttCommands(config.topicPrefix, options.onCommand, log));
  }
  return out;
}
