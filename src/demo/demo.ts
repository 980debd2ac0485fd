import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import { type Config } from '../config/types.js';
import { createLogger } from '../log.js';
import { runUntilSignal } from '../service/signals.js';
import { buildCollector } from '../main.js';
import { startFleet, type FleetSpec } from '../sim/fleet.js';
import { LOAD_PRESETS } from '../sim/load.js';
import { SimulatedSmartPlug } from '../sim/smart-plug.js';
import type { DeviceConfig } from '../config/types.js';
import { startEmbeddedBroker } from './broker.js';
import { formatLine } from './format.js';

/** The demo's simulated household: one plug of each single-outlet profile and an HS300 strip (XOR). */
export const DEMO_FLEET: readonly FleetSpec[] = [
  { profile: 'hs110v1', alias: 'Fridge', load: { ...LOAD_PRESETS.fridge, initialKWh: 41.372 } },
  {
    profile: 'hs110v4',
    alias: 'Washing Machine',
    load: { ...LOAD_PRESETS.washer, initialKWh: 118.05 },
  },
  { profile: 'kp115', alias: 'Desk', load: { ...LOAD_PRESETS.desk, initialKWh: 7.914 } },
  { profile: 'hs100', alias: 'Hall Lamp', load: 'lamp' },
  {
    profile: 'hs300',
    alias: 'Office Strip',
    outlets: [
      { alias: 'Monitor', load: 'desk' },
      { alias: 'Aquarium', load: { ...LOAD_PRESETS.fridge, initialKWh: 12.5 } },
      { alias: 'Router', load: 'lamp' },
      { alias: 'Printer', load: 'lamp', relay: false },
      { alias: 'Fan', load: 'desk' },
      { alias: 'Charger', load: 'lamp' },
    ],
  },
];

/** The account the demo's newer plugs are bound to (printed at start, as a real one never is). */
export const DEMO_ACCOUNT = { username: 'demo@example.com', password: 'kasa-collector-demo' };

/** The demo's newer plugs: a Tapo P110 on KLAP and a Kasa KP125M on AES, both SMART. */
export const DEMO_SMART = [
  { profile: 'p110', alias: 'Tapo Kettle', load: { ...LOAD_PRESETS.desk, baseW: 120 } },
  { profile: 'kp125m', alias: 'Space Heater', load: { ...LOAD_PRESETS.washer, initialKWh: 3.2 } },
] as const;

/**
 * Starts the newer plugs. Each gets an address of its own (`127.0.0.101`, …) answering discovery
 * on UDP 20002 as on a LAN, so the collector finds its transport by itself; when that port is
 * taken (another demo running), the plug listens on 127.0.0.1 and its entry names the transport.
 */
async function startSmartPlugs(): Promise<{
  plugs: SimulatedSmartPlug[];
  devices: DeviceConfig[];
}> {
  const plugs: SimulatedSmartPlug[] = [];
  const devices: DeviceConfig[] = [];
  for (const [i, spec] of DEMO_SMART.entries()) {
    const base = { ...spec, account: DEMO_ACCOUNT };
    let plug = new SimulatedSmartPlug({
      ...base,
      host: `127.0.0.${101 + i}`,
      discoveryPort: 20002,
    });
    try {
      await plug.start();
      devices.push({ host: plug.host, port: 9999 });
    } catch {
      plug = new SimulatedSmartPlug(base);
      await plug.start();
      devices.push({ host: plug.host, port: plug.port, transport: plug.profile.transport });
    }
    plugs.push(plug);
  }
  return { plugs, devices };
}

/** A TCP port free on 127.0.0.1 right now (bound to 0, read, released). */
async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Demo options. */
export interface DemoOptions {
  /** Poll interval, s. */
  interval: number;
  /** Where the per-reading lines go; default stdout. */
  out?: NodeJS.WritableStream;
}

/**
 * `kasa-collector demo`: an embedded MQTT broker (aedes; port 1883 when free), four simulated
 * plugs, a six-outlet HS300 strip, a Tapo P110 (KLAP) and a KP125M (AES) on loopback and the
 * real collector at a short interval, with its status page on a free loopback port (the URL is
 * printed). A subscriber on the broker prints
 * one compact line per plug per tick, so what is printed has made the whole trip
 * plug → collector → MQTT. Runs until Ctrl-C; needs no broker and no plugs.
 * @param opts interval and output stream
 * @returns the exit code
 */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  const broker = await startEmbeddedBroker();
  const fleet = await startFleet(DEMO_FLEET);
  const smart = await startSmartPlugs();
  const defaults = loadConfig({ env: {} });
  const config: Config = {
    ...defaults,
    poll: {
      interval: opts.interval,
      timeout: Math.min(2, opts.interval * 0.8),
      concurrency: 8,
      offlineAfter: 3,
    },
    devices: [...fleet.members.map((m) => ({ host: m.host, port: m.port })), ...smart.devices],
    kasa: { ...DEMO_ACCOUNT, passwordFile: '' },
    mqtt: {
      ...defaults.mqtt,
      enabled: true,
      url: broker.url,
      username: '',
      password: '',
      topicPrefix: 'kasa',
      qos: 1,
      clientId: 'kasa-collector-demo',
    },
    emonhub: {
      ...defaults.emonhub,
      enabled: false,
      host: '127.0.0.1',
      port: 50011,
      timestamped: true,
      fields: ['voltage', 'current', 'power', 'energy', 'state', 'rssi'],
    },
    // The status page (and /metrics) on a free loopback port.
    http: { enabled: true, host: '127.0.0.1', port: await freeLoopbackPort() },
    log: { level: 'warn' },
    // The demo keeps its energy totals and outboxes out of the working directory.
    state: { dir: await mkdtemp(path.join(os.tmpdir(), 'kasa-collector-demo-')) },
  };
  const log = createLogger({ level: config.log.level, pretty: process.stdout.isTTY === true });
  out.write(
    `kasa-collector demo: broker ${broker.url}, ${fleet.members.length + smart.plugs.length} simulated plugs, ` +
      `every ${opts.interval} s. Subscribe with: mosquitto_sub -p ${broker.port} -t 'kasa/#' -v\n` +
      `Newer plugs: a Tapo P110 (KLAP) and a KP125M (AES) bound to the demo account ` +
      `${DEMO_ACCOUNT.username} / ${DEMO_ACCOUNT.password} (kasa.username / kasa.password).\n` +
      `Status page: http://127.0.0.1:${config.http.port}/\n` +
      `Ctrl-C to stop.\n`,
  );
  const subscriber = await mqtt.connectAsync(broker.url, {
    clientId: 'kasa-collector-demo-viewer',
  });
  subscriber.on('message', (topic, payload) => {
    const line = formatLine(topic, payload.toString('utf8'), config.mqtt.topicPrefix);
    if (line) out.write(`${line}\n`);
  });
  await subscriber.subscribeAsync([
    `${config.mqtt.topicPrefix}/+`,
    `${config.mqtt.topicPrefix}/+/+`,
  ]);
  const collector = buildCollector(config, log, systemClock);
  try {
    return await runUntilSignal(collector, log);
  } finally {
    await subscriber.endAsync();
    await fleet.stop();
    for (const p of smart.plugs) await p.stop();
    await broker.stop();
  }
}
