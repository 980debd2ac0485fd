/**
 * Shared helpers of the sink tests: reading and config-slice factories and a test subscriber.
 * Waits and the capturing logger are the shared fakes (`../fakes/wait.ts`, `../fakes/memory-log.ts`).
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { EmonhubConfig, MqttConfig } from '../../src/config/types.js';
import type { Reading } from '../../src/reading.js';
import { waitFor } from '../fakes/wait.js';

/** A reading of `fridge` (node 5, 10.0.0.5:9999) with every field; override what a test needs. */
export function makeReading(
  over: Partial<Omit<Reading, 'device'>> & { device?: Partial<Reading['device']> } = {},
): Reading {
  return {
    time: over.time ?? 1_700_000_000,
    device: { name: 'fridge', host: '10.0.0.5', port: 9999, node: 5, ...over.device },
    identity: over.identity ?? {
      alias: 'Fridge',
      model: 'HS110(EU)',
      hw_ver: '2.0',
      sw_ver: '1.5.10',
      mac: '50:C7:BF:00:00:01',
      deviceId: '8006' + '0'.repeat(36),
    },
    values: over.values ?? {
      power: 12.5,
      energy: 1.234,
      voltage: 230.1,
      current: 0.123,
      state: 'ON',
      rssi: -60,
    },
    hasEmeter: over.hasEmeter ?? true,
  };
}

/** A message as a subscriber saw it. */
export interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}

/**
 * Connects a test subscriber and subscribes (QoS 1) to `filter`; resolves once the broker
 * acknowledged the subscription, so retained messages and later publishes all land in `seen`.
 */
export async function subscribe(
  url: string,
  filter: string,
): Promise<{ seen: Seen[]; client: MqttClient; close(): Promise<void> }> {
  const client = await connectAsync(url, { reconnectPeriod: 0, clean: true });
  const seen: Seen[] = [];
  client.on('message', (topic, payload, packet) => {
    // The sink's availability sync on connect (`stale-availability.ts`) is no reading or state.
    if (topic.endsWith('/bridge/sync')) return;
    seen.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { seen, client, close: () => client.endAsync(true) };
}

/**
 * Everything retained under `filter`, as a fresh subscriber receives it: a sentinel published
 * after subscribing arrives after the retained messages, so nothing is missed or waited for.
 */
export async function retainedUnder(url: string, filter: string): Promise<Seen[]> {
  const sub = await subscribe(url, filter);
  const sentinel = `${filter.replace(/[+#]/g, 'x')}/zz-sentinel-${randomUUID()}`;
  await sub.client.subscribeAsync(sentinel, { qos: 1 });
  await sub.client.publishAsync(sentinel, 'x', { qos: 1 });
  await waitFor(() => sub.seen.some((m) => m.topic === sentinel), 5000, 'sentinel');
  await sub.close();
  return sub.seen.filter((m) => m.topic !== sentinel);
}

/** The schema's defaults, for the slices' keys a test does not care about. */
const DEFAULTS = loadConfig({ env: {} });

/** An `mqtt` config slice for tests: prefix `kasa`, QoS 1, anonymous. */
export function mqttConfig(url: string, over: Partial<MqttConfig> = {}): MqttConfig {
  return {
    ...DEFAULTS.mqtt,
    enabled: true,
    url,
    username: '',
    password: '',
    topicPrefix: 'kasa',
    qos: 1,
    clientId: `kasa-test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    ...over,
  };
}

/** An `emonhub` config slice for tests: 127.0.0.1, timestamped, the community field order. */
export function emonhubConfig(port: number, over: Partial<EmonhubConfig> = {}): EmonhubConfig {
  return {
    ...DEFAULTS.emonhub,
    enabled: true,
    host: '127.0.0.1',
    port,
    timestamped: true,
    fields: ['voltage', 'current', 'power', 'energy', 'state', 'rssi'],
    ...over,
  };
}
