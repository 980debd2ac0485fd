/**
 * `npm run bench:flood`: what floods from outside cost a running collector (`node dist/bin.js
 * run`), measured, not asserted (docs/reliability.md#input-from-outside-is-bounded). Not a test.
 *
 * Against four simulated plugs (one with `control`), a private broker (mosquitto when
 * installed, else aedes) and an emonhub-like listener, in three phases:
 *   names    N distinct device names of 4 kB on `<p>/<name>/set` (default 60,000), in batches
 *            of 2000, each followed by a command to the controlled plug that is waited for (the
 *            collector handles an MQTT connection's messages in order, so the batch is done),
 *            then N other names: the collector's RSS (VmRSS, VmHWM) and log bytes before and
 *            after each round
 *   online   1000 `homeassistant/status` `online` at once: discovery configs re-published in the
 *            next 22 s
 *   relay    1000 alternating ON/OFF in one go: `set_relay_state` requests the plug received,
 *            extra readings and emonhub frames (not on a tick) in the next 5 s, log lines
 *
 * Usage: npm run bench:flood -- [--names N] [--bin PATH] [--json FILE]
 * `--bin` runs another build (e.g. an older checkout's `dist/bin.js`) for a before/after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, openSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { SimulatedPlug } from '../src/sim/plug.js';
import { startBroker } from '../test/fakes/broker.js';
import { waitFor } from '../test/fakes/wait.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const INTERVAL_S = 10;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    names: { type: 'string', default: '60000' },
    bin: { type: 'string', default: path.join(ROOT, 'dist/bin.js') },
    json: { type: 'string' },
  },
});
const NAMES = Number(values.names);

/** VmRSS and VmHWM of a process, MB. */
function memory(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]);
  return {
    rssMB: Math.round(kb('VmRSS') / 102.4) / 10,
    peakMB: Math.round(kb('VmHWM') / 102.4) / 10,
  };
}

/** A listener that counts emonhub frames (one read per connection, as emonhub does). */
async function emonhubListener(): Promise<{ server: net.Server; port: number; frames: string[] }> {
  const frames: string[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', (d) => {
      frames.push(...d.toString('latin1').split('\r\n').filter(Boolean));
      s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port, frames };
}

const relayRequests = (plug: SimulatedPlug): number =>
  plug.received.filter((r) => JSON.stringify(r).includes('set_relay_state')).length;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kasa-flood-'));
  const broker = await startBroker();
  const plugs = ['Kettle', 'Lamp', 'Desk', 'Fridge'].map(
    (alias) => new SimulatedPlug({ profile: 'kp115', alias }),
  );
  for (const p of plugs) await p.start();
  const kettle = plugs[0] as SimulatedPlug;
  const emonhub = await emonhubListener();
  const config = {
    poll: { interval: INTERVAL_S, timeout: 2 },
    devices: plugs.map((p, i) => ({
      host: p.host,
      port: p.port,
      name: ['kettle', 'lamp', 'desk', 'fridge'][i],
      node: 30 + i,
      ...(i === 0 ? { control: true } : {}),
    })),
    mqtt: { url: broker.url, clientId: 'flood-collector' },
    emonhub: { enabled: true, host: '127.0.0.1', port: emonhub.port },
    state: { dir: path.join(dir, 'state') },
    log: { level: 'info' },
  };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const logFile = path.join(dir, 'collector.log');
  const out = openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, [values.bin, 'run', '--config', configFile], {
    stdio: ['ignore', out, out],
  });
  const pid = child.pid as number;
  const log = (): string => readFileSync(logFile, 'utf8');
  const client = await mqtt.connectAsync(broker.url, { clientId: 'flood-sender' });
  const configs: string[] = [];
  const readings: { topic: string; time: number }[] = [];
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/config')) configs.push(topic);
    else if (topic === 'kasa/kettle') {
      readings.push({ topic, time: (JSON.parse(payload.toString()) as { time: number }).time });
    }
  });
  await client.subscribeAsync(['homeassistant/device/+/config', 'kasa/kettle']);
  try {
    await waitFor(() => configs.length >= 4, 30_000, 'four discovery configs');
    const before = { ...memory(pid), logBytes: statSync(logFile).size };

    // Phase 1: distinct names, twice (new names each round): memory that is still growing in the
    // second round is kept per name; memory that is not was garbage the first round left.
    let relay = kettle.relay;
    const pad = 'x'.repeat(4096);
    const rounds: { rssMB: number; peakMB: number; logBytes: number }[] = [];
    for (let round = 0; round < 2; round++) {
      for (let sent = 0; sent < NAMES;) {
        const batch = Math.min(2000, NAMES - sent);
        for (let i = 0; i < batch; i++, sent++)
          client.publish(`kasa/${round}_${sent}${pad}/set`, 'ON');
        relay = !relay;
        client.publish('kasa/kettle/set', relay ? 'ON' : 'OFF');
        await waitFor(() => kettle.relay === relay, 300_000, `batch ending at ${sent}`);
      }
      rounds.push({ ...memory(pid), logBytes: statSync(logFile).size });
    }
    const [round1, round2] = rounds as [(typeof rounds)[number], (typeof rounds)[number]];

    // Phase 2: Home Assistant says online 1000 times.
    await new Promise((r) => setTimeout(r, 11_000)); // past the re-announce gap of phase 1's
    const configsBefore = configs.length;
    for (let i = 0; i < 1000; i++) client.publish('homeassistant/status', 'online');
    // The first at once; one owed by the others goes out with the first reading 10 s later.
    await new Promise((r) => setTimeout(r, 22_000));
    const reannounced = configs.length - configsBefore;

    // Phase 3: 1000 alternating relay commands.
    const requestsBefore = relayRequests(kettle);
    const readingsBefore = readings.length;
    const framesBefore = emonhub.frames.length;
    const linesBefore = log()
      .split('\n')
      .filter((l) => l.includes('"msg":"relay')).length;
    for (let i = 0; i < 1000; i++) client.publish('kasa/kettle/set', i % 2 === 0 ? 'ON' : 'OFF');
    await new Promise((r) => setTimeout(r, 5_000));
    const extra = readings.slice(readingsBefore).filter((r) => r.time % INTERVAL_S !== 0);
    const perSecond = new Map<number, number>();
    for (const r of extra) perSecond.set(r.time, (perSecond.get(r.time) ?? 0) + 1);
    const result = {
      bin: values.bin,
      broker: broker.kind,
      names: {
        sent: NAMES,
        before,
        afterRound1: round1,
        afterRound2: round2,
        rssGrowthRound1MB: Math.round((round1.rssMB - before.rssMB) * 10) / 10,
        rssGrowthRound2MB: Math.round((round2.rssMB - round1.rssMB) * 10) / 10,
        logGrowthMB: Math.round((round2.logBytes - before.logBytes) / 1e5) / 10,
      },
      online: { sent: 1000, configsRepublished: reannounced, devices: 4 },
      relay: {
        sent: 1000,
        setRelayRequests: relayRequests(kettle) - requestsBefore,
        extraReadings: extra.length,
        mostInOneSecond: Math.max(0, ...perSecond.values()),
        emonhubFrames: emonhub.frames
          .slice(framesBefore)
          .filter((f) => Number(f.split(' ')[0]) % INTERVAL_S !== 0).length,
        logLines:
          log()
            .split('\n')
            .filter((l) => l.includes('"msg":"relay')).length - linesBefore,
      },
    };
    console.log(JSON.stringify(result, null, 2));
    if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(result, null, 2));
  } finally {
    await client.endAsync();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    for (const p of plugs) await p.stop();
    await new Promise((r) => emonhub.server.close(r));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
