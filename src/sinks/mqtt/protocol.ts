/**
 * Which MQTT version the sink speaks and what the broker's CONNACK lets it keep in flight.
 *
 * - The sink connects with MQTT 5 (`protocolVersion: 5`) and falls back to MQTT 3.1.1 when the
 *   broker refuses the version: an MQTT 3.1.1 broker answers CONNACK return code 1
 *   ("unacceptable protocol version", OASIS MQTT 3.1.1 §3.2.2.3), an MQTT 5 one reason code
 *   132 ("unsupported protocol version", MQTT 5.0 §3.2.2.2). The next attempt goes at once,
 *   with MQTT.js's in-flight store kept, and the client stays on 3.1.1 from then on.
 * - The in-flight window is the Receive Maximum of the CONNACK (MQTT 5.0 §3.2.2.3.3: how many
 *   QoS 1 and 2 publishes the broker takes unacknowledged; 65,535 when absent), capped at
 *   {@link MAX_WINDOW}. mosquitto announces its `max_inflight_messages` (default 20). Without it
 *   (3.1.1) the window is the outbox's fixed default. It bounds the readings and, together with
 *   them, every other QoS 1 and 2 publish of the sink (`send-window.ts`).
 */
import type { IConnackPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { DEFAULT_WINDOW } from './outbox.js';
import { QOS2_WINDOW } from './outbox-store.js';

/** CONNACK codes that mean "not this protocol version": 3.1.1's 1, MQTT 5's 132. */
const UNSUPPORTED_VERSION = new Set([1, 132]);

/**
 * Bound on the window whatever the broker announces: what MQTT.js keeps in its in-flight
 * store (a few hundred bytes per message) and what one burst hands the socket.
 */
export const MAX_WINDOW = 4096;

/** The Receive Maximum MQTT 5 implies when the CONNACK has none (MQTT 5.0 §3.2.2.3.3). */
const RECEIVE_MAXIMUM_DEFAULT = 65_535;

/**
 * Handles a CONNACK refusal of MQTT 5: switches the client to MQTT 3.1.1 and reconnects at once
 * (keeping MQTT.js's stores, so nothing in flight is lost), logging it once at info.
 * @param client the sink's client
 * @param err what the client's `error` event carried
 * @param log the sink's logger
 * @returns true when `err` was such a refusal and is handled (the sink need not log it)
 */
export function fallBackToMqtt311(
  client: MqttClient,
  err: Error & { code?: unknown },
  log: Logger,
): boolean {
  if (client.options.protocolVersion !== 5) return false;
  if (typeof err.code !== 'number' || !UNSUPPORTED_VERSION.has(err.code)) return false;
  client.options.protocolVersion = 4;
  log.info('the MQTT broker does not speak MQTT 5; connecting with MQTT 3.1.1');
  // Once MQTT.js has finished with the refused connection: its socket's `close` arms MQTT.js's
  // reconnect interval, and `reconnect()` clears it. Reconnecting before that close would leave
  // the interval armed, and it would tear down the new connection two seconds later.
  client.once('close', () => {
    setImmediate(() => {
      if (client.connected || client.disconnecting) return;
      const { incomingStore, outgoingStore } = client;
      client.reconnect({ incomingStore, outgoingStore });
    });
  });
  return true;
}

/**
 * The in-flight window for readings on this connection, in messages.
 * @param connack the CONNACK MQTT.js passed to `connect`
 * @param protocolVersion the version the connection speaks (MQTT.js's `options.protocolVersion`)
 * @param fallback the window when the broker announces nothing (MQTT 3.1.1)
 * @returns the broker's Receive Maximum (65,535 when an MQTT 5 broker leaves it out), at most
 *   {@link MAX_WINDOW}; else `fallback`
 */
export function inFlightWindow(
  connack: Pick<IConnackPacket, 'properties'> | undefined,
  protocolVersion: number | undefined,
  fallback: number,
): number {
  if (protocolVersion !== 5) return fallback;
  const announced = connack?.properties?.receiveMaximum;
  const max =
    typeof announced === 'number' && Number.isInteger(announced) && announced >= 1
      ? announced
      : RECEIVE_MAXIMUM_DEFAULT;
  return Math.min(max, MAX_WINDOW);
}

/**
 * The readings' window on a new connection: at QoS 1 and 2 {@link inFlightWindow} (falling back
 * to `DEFAULT_WINDOW`, or `QOS2_WINDOW` at QoS 2, over MQTT 3.1.1); at QoS 0, which the
 * Receive Maximum does not cover, `DEFAULT_WINDOW`.
 * @param qos `mqtt.qos`
 * @param connack the CONNACK MQTT.js passed to `connect`
 * @param protocolVersion MQTT.js's `options.protocolVersion`
 * @returns messages
 */
export function readingsWindow(
  qos: 0 | 1 | 2,
  connack: Pick<IConnackPacket, 'properties'> | undefined,
  protocolVersion: number | undefined,
): number {
  if (qos === 0) return DEFAULT_WINDOW;
  return inFlightWindow(connack, protocolVersion, qos === 2 ? QOS2_WINDOW : DEFAULT_WINDOW);
}
