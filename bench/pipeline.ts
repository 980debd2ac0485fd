/**
 * The pipeline bench: CPU per poll of what the collector does with a poll once the transport
 * has answered (poller, the plug's queue, plug claims, naming, availability, spike filter,
 * lifetime energy totals, the sink call), in this process with `process.cpuUsage()`, without
 * sockets: each plug is a client that answers at once with a sample shaped like an HS110's
 * (strings as JSON.parse makes them, energy rising 36 W's worth per tick). The sink takes the
 * readings and does nothing. The number the socket benchmark (`bench.ts`) cannot separate from
 * the kernel's and the JSON parser's work, and far steadier from run to run.
 *
 *   npm run bench:pipeline -- [--plugs N] [--ticks T] [--rounds R]
 *
 * R rounds of T ticks over N plugs after one round of warm-up; prints each round and the median.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from '../src/clock.js';
import { Collector } from '../src/collector/collector.js';
import { PolledDevice } from '../src/collector/polled-device.js';
import type { DeviceConfig } from '../src/config/types.js';
import { EnergyTotals } from '../src/energy/totals.js';
import type { DeviceClient, DeviceSample } from '../src/kasa/sample.js';
import type { PlugIdentity } from '../src/reading.js';

const { values } = parseArgs({
  options: {
    plugs: { type: 'string', default: '1000' },
    ticks: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '7' },
  },
});
const plugs = Number(values.plugs);
const ticks = Number(values.ticks);
const rounds = Number(values.rounds);
for (const [flag, n] of [
  ['plugs', plugs],
  ['ticks', ticks],
  ['rounds', rounds],
] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} ${String(values[flag])}: ≥ 1`);
}

/** A plug that answers at once; strings parsed from JSON, like a reply's. */
function plug(i: number): DeviceClient {
  const hex = (n: number): string => n.toString(16).padStart(2, '0').toUpperCase();
  const identity = JSON.stringify({
    alias: `Plug ${i}`,
    model: 'HS110(EU)',
    hw_ver: '2.0',
    sw_ver: '1.5.4 Build 180815 Rel.121440',
    mac: `50:C7:BF:00:${hex(i >> 8)}:${hex(i & 255)}`,
    deviceId: `8006${String(i).padStart(36, '0')}`,
  });
  let energy = 1;
  return {
    target: `10.0.${i >> 8}.${i & 255}:9999`,
    close: () => undefined,
    setRelay: () => Promise.reject(new Error('not used')),
    poll: (): Promise<DeviceSample> => {
      energy += 0.00001;
      const parsed = JSON.parse(identity) as PlugIdentity;
      parsed.transport = 'xor'; // as KasaDevice sets it
      return Promise.resolve({
        identity: parsed,
        values: { state: 'ON', rssi: -60, voltage: 230.1, current: 0.5, power: 36.2, energy },
        hasEmeter: true,
      });
    },
  };
}

const devices: DeviceConfig[] = Array.from({ length: plugs }, (_, i) => ({
  host: `10.0.${i >> 8}.${i & 255}`,
  port: 9999,
}));
const clients = new Map(devices.map((d, i) => [d, plug(i)]));
const log = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'kasa-pipeline-'));
const energyTotals = new EnergyTotals({
  dir,
  clock: systemClock,
  log,
  maxPower: 4000,
  minStepS: 1,
});
energyTotals.load();
let readings = 0;
const collector = new Collector(
  { poll: { interval: 1, timeout: 0.5, concurrency: plugs, offlineAfter: 3 }, devices },
  {
    clock: systemClock,
    log,
    sink: {
      name: 'counting',
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      write: () => void readings++,
      availability: () => undefined,
    },
    filter: { maxPower: 4000, maxCurrent: 20, minVoltage: 50, maxVoltage: 300 },
    energyTotals,
    makeDevice: (dc, n) => new PolledDevice(dc, n, clients.get(dc)),
  },
);

let tick = 1_700_000_000;
const round = async (): Promise<number> => {
  const start = process.cpuUsage();
  for (let k = 0; k < ticks; k++) await collector.pollNow(tick++);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (ticks * plugs);
};
await round(); // warm-up: first polls, names, the totals' first write, the JIT
const results: number[] = [];
for (let r = 0; r < rounds; r++) {
  const us = await round();
  results.push(us);
  process.stdout.write(`round ${r + 1}: ${us.toFixed(2)} µs per poll\n`);
}
results.sort((a, b) => a - b);
const median = results[Math.floor(rounds / 2)] as number;
process.stdout.write(
  `pipeline, ${plugs} plugs: median ${median.toFixed(2)} µs CPU per poll after the transport ` +
    `(${readings} readings)\n`,
);
energyTotals.close();
rmSync(dir, { recursive: true, force: true });
