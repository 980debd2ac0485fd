import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { Config, FilterConfig } from '../../src/config/types.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import { TOTALS_FILE } from '../../src/energy/totals-file.js';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import type { DeviceSample, KasaDevice } from '../../src/kasa/device.js';
import type { DeviceInfo, Reading } from '../../src/reading.js';
import type { Sink } from '../../src/sinks/sink.js';
import { FailingFs } from '../fakes/failing-fs.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { nextLoopTurn } from '../fakes/wait.js';

/**
 * The energy totals' write-ahead on a fleet: the polls that complete in one turn of the event
 * loop share one write of `energy-totals.json`, and none of their readings reaches a sink
 * before the file covers its `energy_total` (docs/reliability.md).
 */

const FILTER: FilterConfig = { maxPower: 4000, maxCurrent: 20, minVoltage: 80, maxVoltage: 280 };
const T0 = 1_700_000_005_000;

/** `node:fs` counting the writes of the totals file (each is a whole file, fsynced). */
class CountingFs extends FailingFs {
  writes = 0;
  override renameSync: typeof fs.renameSync = (from, to) => {
    if (String(to).endsWith(TOTALS_FILE)) this.writes++;
    fs.renameSync(from, to);
  };
}

/** A plug whose since-boot counter is what the test sets; `down` makes it time out. */
class Plug {
  energy = 1;
  down = false;
  constructor(private readonly i: number) {}
  async poll(): Promise<DeviceSample> {
    if (this.down) throw new PlugError(PlugErrorCode.TIMEOUT, `plug ${this.i}`, 'no answer');
    const mac = `50:C7:BF:00:${((this.i >> 8) & 255).toString(16).padStart(2, '0')}:${(this.i & 255).toString(16).padStart(2, '0')}`;
    return {
      identity: { alias: `plug ${this.i}`, mac, model: 'KP115(EU)' },
      values: { power: 100, energy: this.energy, voltage: 230, current: 0.5, state: 'ON' },
      hasEmeter: true,
    };
  }
}

/** Every sink call in order; each reading with the totals-file writes done before it. */
class OrderSink implements Sink {
  readonly name = 'order';
  readonly events: string[] = [];
  readonly readings: { reading: Reading; writesBefore: number }[] = [];
  stopped = false;
  lateCalls = 0;
  constructor(private readonly fsCount: CountingFs) {}
  async start(): Promise<void> {}
  write(reading: Reading): void {
    if (this.stopped) this.lateCalls++;
    this.events.push(`reading ${reading.device.name}`);
    this.readings.push({ reading, writesBefore: this.fsCount.writes });
  }
  availability(device: DeviceInfo, online: boolean): void {
    if (this.stopped) this.lateCalls++;
    this.events.push(`${online ? 'online' : 'offline'} ${device.name}`);
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fleet(n: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kasa-ahead-'));
  dirs.push(dir);
  const clock = new ManualClock(T0);
  const mem = memoryLogger();
  const counting = new CountingFs();
  const sink = new OrderSink(counting);
  const plugs = Array.from({ length: n }, (_, i) => new Plug(i));
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 64, offlineAfter: 1 },
    devices: plugs.map((_, i) => ({
      host: `10.0.${i >> 8}.${i & 255}`,
      port: 9999,
      name: `p${i}`,
    })),
  };
  const energyTotals = new EnergyTotals({
    dir,
    clock,
    log: mem.log,
    maxPower: FILTER.maxPower,
    minStepS: 10,
    fs: counting,
  });
  const byHost = new Map(config.devices.map((d, i) => [d.host, plugs[i]!]));
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    filter: FILTER,
    energyTotals,
    makeDevice: (c, k) => new PolledDevice(c, k, byHost.get(c.host) as unknown as KasaDevice),
  });
  await collector.start();
  const ceilings = (): Record<string, number> => {
    const doc = JSON.parse(readFileSync(path.join(dir, TOTALS_FILE), 'utf8')) as {
      devices: Record<string, { ceiling: number }>;
    };
    return Object.fromEntries(Object.entries(doc.devices).map(([k, e]) => [k, e.ceiling]));
  };
  /** One tick, then the loop turns that deliver it. */
  const tick = async () => {
    clock.advance(10_000);
    await nextLoopTurn();
  };
  return { collector, sink, counting, plugs, clock, mem, ceilings, tick };
}

describe('write-ahead of the energy totals', () => {
  it('1000 new plugs answering in one loop turn: one write, every reading covered', async () => {
    const f = await fleet(1000);
    await f.tick();
    expect(f.sink.readings).toHaveLength(1000);
    expect(f.counting.writes).toBe(1);
    // Every reading went out after the write, and the file covers what it carries.
    expect(f.sink.readings.every((r) => r.writesBefore === 1)).toBe(true);
    const ceilings = Object.values(f.ceilings());
    expect(ceilings).toHaveLength(1000);
    const published = f.sink.readings.map((r) => r.reading.values.energy_total as number);
    expect(Math.min(...ceilings)).toBeGreaterThanOrEqual(Math.max(...published));
    await f.collector.stop();
  });

  it('keeps each device’s order: its reading, then its online; offline after what was held', async () => {
    const f = await fleet(3);
    await f.tick();
    expect(f.sink.events).toEqual([
      'reading p0',
      'online p0',
      'reading p1',
      'online p1',
      'reading p2',
      'online p2',
    ]);
    f.sink.events.length = 0;
    // p0 draws far more than before (needs the write-ahead), p1 is steady, p2 stops answering.
    f.plugs[0]!.energy = 1.01;
    f.plugs[2]!.down = true;
    const before = f.counting.writes;
    await f.tick();
    expect(f.counting.writes).toBe(before + 1);
    expect(f.sink.events).toEqual(['reading p0', 'reading p1', 'offline p2']);
    await f.collector.stop();
  });

  it('no write is needed at a steady draw: readings go out at once', async () => {
    const f = await fleet(2);
    await f.tick();
    const before = f.counting.writes;
    f.clock.advance(10_000); // no loop turn: delivered within the poll's own microtasks
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(f.sink.readings).toHaveLength(4);
    expect(f.counting.writes).toBe(before);
    await f.collector.stop();
  });

  it('stop delivers what waits for the write before the sinks stop', async () => {
    const f = await fleet(5);
    f.clock.advance(10_000); // the polls complete; their write waits for the loop turn
    await f.collector.stop();
    expect(f.sink.readings).toHaveLength(5);
    expect(f.sink.lateCalls).toBe(0);
    expect(f.sink.readings.every((r) => r.writesBefore >= 1)).toBe(true);
  });

  it('a device removed while its reading is held: the reading goes out before its offline', async () => {
    const f = await fleet(2);
    await f.tick();
    f.sink.events.length = 0;
    f.plugs[0]!.energy = 1.01; // needs the write-ahead: held until the loop turn ends
    f.clock.advance(10_000);
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(f.sink.events).toEqual([]);
    f.collector.setDevices([{ host: '10.0.0.1', port: 9999, name: 'p1' }]);
    expect(f.sink.events).toEqual(['reading p0', 'reading p1', 'offline p0']);
    await f.collector.stop();
  });

  it('an unwritable state.dir: readings still go out, the failure is said once', async () => {
    const f = await fleet(20);
    f.counting.mode = 'read-only-fs';
    await f.tick();
    expect(f.sink.readings).toHaveLength(20);
    expect(f.counting.writes).toBe(0);
    const warned = f.mem.lines.filter((l) => /energy totals not saved/.test(String(l.msg)));
    expect(warned).toHaveLength(1);
    await f.collector.stop();
  });
});
