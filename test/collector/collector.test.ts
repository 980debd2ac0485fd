import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import type { Config } from '../../src/config/types.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import type { KasaDevice, DeviceSample } from '../../src/kasa/device.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';

/** One poll of a scripted plug: a sample, a plug failure, or any other exception (a bug). */
type Step = DeviceSample | PlugErrorCode | Error;

/** A scripted plug: each poll takes the next behaviour, the last one repeats. */
class ScriptedPlug {
  calls = 0;
  constructor(
    readonly target: string,
    private readonly script: Step[],
  ) {}
  async poll(): Promise<DeviceSample> {
    const step = this.script[Math.min(this.calls++, this.script.length - 1)];
    if (typeof step === 'string') throw new PlugError(step, this.target, 'scripted failure');
    if (step instanceof Error) throw step;
    return step as DeviceSample;
  }
}

const fridge: DeviceSample = {
  identity: { alias: 'Fridge', mac: '50:C7:BF:00:00:01', model: 'HS110(EU)' },
  values: { power: 80.5, energy: 1.25, voltage: 231.2, current: 0.41, state: 'ON', rssi: -60 },
  hasEmeter: true,
};
const lamp: DeviceSample = {
  identity: { alias: 'Fridge', mac: '50:C7:BF:00:00:02', model: 'HS100(UK)' },
  values: { state: 'OFF', rssi: -70 },
  hasEmeter: false,
};

const T0 = 1_700_000_005_000;
const flush = () => new Promise((r) => setImmediate(r));

function build(scripts: Step[][], names: (string | undefined)[] = []) {
  const clock = new ManualClock(T0);
  const sink = new RecordingSink();
  const mem = memoryLogger();
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 4, offlineAfter: 3 },
    devices: scripts.map((_, i) => ({
      host: `10.0.0.${i + 1}`,
      port: 9999,
      name: names[i],
      node: 27 + i,
    })),
  };
  const plugs = scripts.map((s, i) => new ScriptedPlug(`10.0.0.${i + 1}:9999`, s));
  let i = 0;
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    makeDevice: (c, n) => new PolledDevice(c, n, plugs[i++] as unknown as KasaDevice),
  });
  const tick = async () => {
    clock.advance(10_000);
    await flush();
    await flush();
  };
  return { clock, sink, mem, collector, plugs, tick };
}

describe('Collector', () => {
  it('stamps every reading of a tick with the same harmonized time', async () => {
    const { sink, collector, tick } = build([[fridge], [lamp]], ['fridge', 'lamp']);
    await collector.start();
    await tick();
    await tick();
    await collector.stop();
    expect(sink.readings.map((r) => [r.device.name, r.time])).toEqual([
      ['fridge', 1_700_000_010],
      ['lamp', 1_700_000_010],
      ['fridge', 1_700_000_020],
      ['lamp', 1_700_000_020],
    ]);
    expect(sink.readings[0]?.values).toEqual(fridge.values);
    expect(sink.readings[0]?.device).toEqual({
      name: 'fridge',
      host: '10.0.0.1',
      port: 9999,
      node: 27,
    });
    expect(sink.started).toBe(1);
    expect(sink.stopped).toBe(1);
  });

  it('names devices from alias, suffixed with the MAC when two aliases clash', async () => {
    const { sink, collector, tick } = build([[fridge], [lamp]]);
    await collector.start();
    await tick();
    await collector.stop();
    expect(sink.readings.map((r) => r.device.name)).toEqual(['fridge', 'fridge_50c7bf000002']);
  });

  it('goes offline after offlineAfter failures, back online on success, one log line each', async () => {
    const T = PlugErrorCode.TIMEOUT;
    const { sink, collector, tick, mem } = build([[fridge, T, T, T, T, T, fridge]], ['fridge']);
    await collector.start();
    for (let i = 0; i < 7; i++) await tick();
    await collector.stop();
    expect(sink.availability_).toEqual([
      { name: 'fridge', online: true },
      { name: 'fridge', online: false },
      { name: 'fridge', online: true },
    ]);
    expect(sink.readings.map((r) => r.time)).toEqual([1_700_000_010, 1_700_000_070]);
    const changes = mem.lines.filter(
      (l) => l['msg'] === 'plug online' || String(l['msg']).startsWith('plug offline'),
    );
    expect(changes.map((l) => l['level'])).toEqual([30, 40, 30]);
    expect(collector.stats).toMatchObject({ pollsOk: 2, pollsFailed: 5 });
  });

  it('reports a bug in the poll path as INTERNAL_ERROR, logged at error once per run of them', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const script = [fridge, bug, bug, fridge, bug];
    const { collector, tick, mem } = build([script], ['fridge']);
    await collector.start();
    for (let i = 0; i < 5; i++) await tick();
    await collector.stop();
    const failures = mem.lines.filter((l) => l['level'] === 20 && l['code'] !== undefined);
    expect(failures.map((l) => l['code'])).toEqual(Array(3).fill('INTERNAL_ERROR'));
    const errors = mem.lines.filter((l) => l['level'] === 50);
    expect(errors).toHaveLength(2); // ticks 2 and 5: tick 3 repeats tick 2's, tick 4 was good
    expect(errors[0]).toMatchObject({ device: 'fridge', code: 'INTERNAL_ERROR' });
    expect(String(errors[0]?.['msg'])).toContain('a bug in the collector');
    expect(JSON.stringify(errors[0]?.['err'])).toContain('TypeError');
  });

  it('stop() is idempotent and no tick fires after it', async () => {
    const { collector, clock, plugs } = build([[fridge]], ['fridge']);
    await collector.start();
    await collector.stop();
    await collector.stop();
    clock.advance(60_000);
    await flush();
    expect(plugs[0]?.calls).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
