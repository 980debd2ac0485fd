import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import { KasaDevice } from '../../src/kasa/device.js';
import type { Transport } from '../../src/kasa/transport/transport.js';
import type { DeviceInfo, Reading } from '../../src/reading.js';
import { prng } from '../../src/sim/load.js';
import type { Sink } from '../../src/sinks/sink.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

/**
 * Soak: 50 plugs with random faults through 5,000 harmonized ticks on a manual clock, the real
 * collector, poller, plug sessions, reply parsing and normalization; only the socket is replaced
 * by an in-memory exchange, so the run takes seconds. Asserts no unhandled rejection, no
 * listener or handle growth, a flat heap after a forced GC, and that every good reading reached
 * the sink with its tick's time and the plug's values, and nothing else did.
 */

const PLUGS = 50;
const TICKS = 5_000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const FAULTS = [
  () => new PlugError(PlugErrorCode.REFUSED, 'x', 'refused'),
  () => new PlugError(PlugErrorCode.TIMEOUT, 'x', 'timeout'),
  () => new PlugError(PlugErrorCode.CLOSED, 'x', 'closed'),
  () => new PlugError(PlugErrorCode.BAD_LENGTH, 'x', 'bad length'),
  'not json',
  '[1,2]',
  '{"system":{"get_sysinfo":{"err_code":-1}}}',
  '{"system":{"get_sysinfo":{"relay_state":1,"feature":"TIM:ENE","err_code":0}},"emeter":{"get_realtime":{"power_mw":null,"err_code":0}}}',
] as const;

/** Expected values per device and tick, recorded by the fake exchange when it answers well. */
const expected = new Map<string, number>();

function fakeTransport(index: number, rand: () => number, tickOf: () => number): Transport {
  return {
    target: `fake:${index}`,
    close: () => undefined,
    request: async (json) => {
      const asksEmeter = json.includes('emeter');
      if (rand() < 0.1) {
        const f = FAULTS[Math.floor(rand() * FAULTS.length)]!;
        if (typeof f === 'function') throw f();
        return Buffer.from(f);
      }
      const powerMw = Math.floor(rand() * 3_000_000);
      const sysinfo = `{"system":{"get_sysinfo":{"alias":"Plug ${index}","mac":"50:C7:BF:00:00:${index
        .toString(16)
        .padStart(2, '0')}","relay_state":1,"rssi":-60,"feature":"TIM:ENE","err_code":0}}}`;
      if (!asksEmeter) return Buffer.from(sysinfo);
      expected.set(`${index}@${tickOf()}`, powerMw / 1000);
      return Buffer.from(
        `${sysinfo.slice(0, -1)},"emeter":{"get_realtime":{"power_mw":${powerMw},"voltage_mv":230000,"current_ma":100,"total_wh":5,"err_code":0}}}`,
      );
    },
  };
}

/** Checks each reading on arrival and keeps only counts, so the sink itself does not grow. */
class CheckingSink implements Sink {
  readonly name = 'checking';
  delivered = 0;
  wrong: string[] = [];
  async start(): Promise<void> {}
  write(r: Reading): void {
    const index = Number(r.device.name.split('_')[1]);
    const want = expected.get(`${index}@${r.time}`);
    if (want === undefined || r.values.power !== want) {
      this.wrong.push(`${r.device.name}@${r.time}: ${r.values.power} ≠ ${want}`);
    }
    expected.delete(`${index}@${r.time}`);
    this.delivered++;
  }
  availability(_d: DeviceInfo, _online: boolean): void {}
  async stop(): Promise<void> {}
}

describe('soak', () => {
  it(`${PLUGS} plugs with random faults through ${TICKS} ticks`, async () => {
    const unhandled: unknown[] = [];
    const warnings: Error[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('unhandledRejection', onUnhandled);
    process.on('warning', onWarning);

    const clock = new ManualClock(1_700_000_000_500);
    let tick = 0;
    const sink = new CheckingSink();
    const mem = memoryLogger('warn');
    const rand = prng(20261122);
    const devices = Array.from({ length: PLUGS }, (_, i) => ({
      host: '127.0.0.1',
      port: 10_000 + i,
      name: `plug_${i}`,
    }));
    const collector = new Collector(
      { poll: { interval: 1, timeout: 0.5, concurrency: 16, offlineAfter: 3 }, devices },
      {
        clock,
        log: mem.log,
        sink,
        makeDevice: (c, n) =>
          new PolledDevice(
            c,
            n,
            new KasaDevice(
              fakeTransport(c.port - 10_000, rand, () => tick),
              clock,
            ),
          ),
      },
    );
    await collector.start();
    const flush = () => new Promise((r) => setImmediate(r));
    const step = async () => {
      tick = Math.floor(clock.now() / 1000) + 1;
      clock.advance(1000);
      await flush();
    };

    for (let i = 0; i < 500; i++) await step(); // warm-up
    gc();
    const heapStart = process.memoryUsage().heapUsed;
    const resourcesStart = process.getActiveResourcesInfo().length;
    const listenersStart =
      process.listenerCount('warning') + process.listenerCount('unhandledRejection');
    for (let i = 500; i < TICKS; i++) await step();
    gc();
    const heapEnd = process.memoryUsage().heapUsed;
    await collector.stop();

    expect(unhandled).toEqual([]);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(sink.wrong).toEqual([]);
    // Every good answer was delivered: nothing expected is left over.
    expect(expected.size).toBe(0);
    expect(collector.stats.ticks).toBe(TICKS);
    expect(collector.stats.pollsOk + collector.stats.pollsFailed).toBe(TICKS * PLUGS);
    expect(sink.delivered).toBe(collector.stats.pollsOk);
    // About 10% of answers are faults; the rest must all have been good polls.
    expect(collector.stats.pollsOk).toBeGreaterThan(TICKS * PLUGS * 0.85);
    expect(collector.stats.pollsFailed).toBeGreaterThan(TICKS * PLUGS * 0.05);
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(resourcesStart);
    expect(process.listenerCount('warning') + process.listenerCount('unhandledRejection')).toBe(
      listenersStart,
    );
    expect(heapEnd - heapStart).toBeLessThan(8 * 1024 * 1024);
    console.log(
      `soak: ${collector.stats.pollsOk} good and ${collector.stats.pollsFailed} failed polls, ` +
        `heap ${(heapStart / 1e6).toFixed(1)} → ${(heapEnd / 1e6).toFixed(1)} MB`,
    );
    process.off('unhandledRejection', onUnhandled);
    process.off('warning', onWarning);
  }, 120_000);
});
