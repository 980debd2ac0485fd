/**
 * The last act of the MQTT sink's `stop()`: say `offline` and disconnect cleanly, within a bound.
 * A clean DISCONNECT makes the broker discard the last will, so the retained `offline` must be
 * published (and acknowledged at QoS ≥ 1) before it.
 */
import type { MqttClient } from 'mqtt';
import type { MqttMessage } from './topics.js';

/**
 * Hands `m` to MQTT.js and calls `done` on its completion. At QoS ≥ 1 the sink's publisher
 * sends it ahead of the waiting "latest wins" messages, within the Receive Maximum.
 */
export type PublishOffline = (m: MqttMessage, done: () => void) => void;

/**
 * Publishes `offline` then ends the client cleanly; without a connection it just closes.
 * @param client the sink's client
 * @param connected whether a broker connection is up
 * @param offline the retained `bridge/state` `offline` message
 * @param publish sends `offline` (see {@link PublishOffline})
 * @param ms what is left of the stop bound
 * @returns true when done in time; false after `ms` (the caller then drops the socket)
 */
export function sayOfflineAndEnd(
  client: MqttClient,
  connected: boolean,
  offline: MqttMessage,
  publish: PublishOffline,
  ms: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    if (!connected) return void client.end(true, done);
    publish(offline, () => client.end(false, done));
  });
}
