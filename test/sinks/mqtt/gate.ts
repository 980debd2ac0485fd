/**
 * Test helpers for MQTT outages: production connect options but a 50 ms retry (so a reconnect
 * follows the gate opening at once), a temporary state directory, and the `time`s of the state
 * messages a subscriber saw. The outage itself is a {@link TcpGate} between sink and broker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'mqtt';
import type { MqttConnect } from '../../../src/sinks/mqtt/sink.js';
import type { Seen } from '../helpers.js';
import { waitFor } from '../../fakes/wait.js';

export { TcpGate } from '../../fakes/tcp-gate.js';

/** MQTT.js `connect` retrying every 50 ms, with a count of closed connection attempts. */
export function fastConnect(): { connect: MqttConnect; closed(n?: number): Promise<void> } {
  let closes = 0;
  return {
    connect: (url, opts) => {
      const client = connect(url, { ...opts, reconnectPeriod: 50 });
      client.on('close', () => closes++);
      return client;
    },
    closed: (n = 1) => waitFor(() => closes >= n, 5000, `${n} closed connection attempts`),
  };
}

/** A fresh directory under the OS temp dir, and its removal. */
export async function tempStateDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-state-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The `time` of every `<prefix>/<name>` state message seen, in arrival order. */
export function stateTimes(seen: readonly Seen[], topic = 'kasa/fridge'): number[] {
  return seen
    .filter((m) => m.topic === topic)
    .map((m) => (JSON.parse(m.payload) as { time: number }).time);
}
