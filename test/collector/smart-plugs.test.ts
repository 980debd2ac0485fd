/**
 * The collector with SMART plugs behind it (the simulator's P110 on KLAP): a rejected account is
 * one log line and a back-off, not a handshake every tick; the daily reset of `today_energy` is a
 * counter reset for the lifetime `energy_total`, which keeps rising across local midnight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { Config } from '../../src/config/types.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import { PlugErrorCode } from '../../src/errors.js';
import { SimulatedSmartPlug } from '../../src/sim/smart-plug.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';

const account = {
  username: 'owner@example.com',
  password: 'Right-1',
  keys: 'kasa.username and kasa.password',
};
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig(start: number, clientAccount: typeof account, offlineAfter = 2) {
  const clock = new ManualClock(start);
  const plug = new SimulatedSmartPlug({
    profile: 'p110',
    alias: 'Kettle',
    account,
    now: () => clock.now(),
    load: { baseW: 1800, walkW: 0, cycleW: 0 },
  });
  const port = await plug.start();
  cleanup.push(() => plug.stop());
  const sink = new RecordingSink();
  const mem = memoryLogger();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'smart-totals-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const energyTotals = new EnergyTotals({ dir, clock, log: mem.log, maxPower: 4000 });
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 5, concurrency: 1, offlineAfter },
    devices: [{ host: '127.0.0.1', port, name: 'kettle', node: 40, transport: 'klap' }],
  };
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    energyTotals,
    makeDevice: (c, n) => new PolledDevice(c, n, undefined, clock, { account: clientAccount }),
  });
  // Not started: the test drives the ticks itself with pollNow() (no schedule timers).
  cleanup.push(() => collector.stop());
  return { clock, plug, sink, mem, collector };
}

describe('collector with SMART plugs', () => {
  it('logs a rejected account once, names the keys, and does not handshake every tick', async () => {
    const { clock, plug, mem, collector } = await rig(1_700_000_000_000, {
      ...account,
      password: 'Wrong-2',
    });
    for (let t = 1; t <= 12; t++) {
      clock.advance(10_000);
      await collector.pollNow(1_700_000_000 + t * 10);
    }
    const warnings = mem.lines.filter((l) => (l['level'] as number) >= 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: PlugErrorCode.AUTH });
    expect(String(warnings[0]?.['msg'])).toMatch(/kasa\.username and kasa\.password/);
    // 120 s of ticks: the first attempt and one after the 60 s back-off, each a handshake1 only.
    expect(plug.http.requests).toBeLessThanOrEqual(3);
  });

  it('keeps energy_total rising across the daily reset of today_energy', async () => {
    const beforeMidnight = Date.UTC(2024, 4, 31, 23, 57, 0);
    const { clock, sink, collector } = await rig(beforeMidnight, account);
    const tick = async (): Promise<void> => {
      clock.advance(30_000);
      await collector.pollNow(Math.floor(clock.now() / 1000));
    };
    for (let i = 0; i < 12; i++) await tick(); // 23:57:30 … 00:03:00 local (UTC+0)
    const values = sink.readings.map((r) => r.values);
    const energy = values.map((v) => v.energy as number);
    const total = values.map((v) => v.energy_total as number);
    const drop = energy.findIndex((e, i) => i > 0 && e < (energy[i - 1] as number));
    expect(drop).toBeGreaterThan(0); // today_energy went back to ~0 at midnight
    expect(energy[drop]).toBeLessThan(0.02);
    for (let i = 1; i < total.length; i++)
      expect(total[i]).toBeGreaterThanOrEqual(total[i - 1] as number);
    expect(total[total.length - 1]).toBeGreaterThan(total[drop] as number);
    expect(total[total.length - 1]).toBeGreaterThan(energy[drop - 1] as number);
  });
});
