import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { Config, DeviceConfig } from '../../src/config/types.js';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import type { DeviceClient, DeviceSample } from '../../src/kasa/sample.js';
import type { PlugIdentity } from '../../src/reading.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';

/**
 * A device's name is unique by construction (`naming.ts`, `polled-device.ts`, `outcome.ts`):
 * configured names win, derived names never take one, collisions are resolved by MAC, deviceId,
 * then host:port, and two entries that turn out to be the same plug are not merged.
 */

/** A plug that answers with one identity (or times out) and counts relay requests. */
class FakePlug implements DeviceClient {
  relays: boolean[] = [];
  polls = 0;
  constructor(
    readonly target: string,
    private readonly identity: PlugIdentity | undefined,
  ) {}
  async poll(): Promise<DeviceSample> {
    this.polls++;
    if (this.identity === undefined)
      throw new PlugError(PlugErrorCode.TIMEOUT, this.target, 'no answer');
    const state = this.relays.at(-1) === false ? 'OFF' : 'ON';
    return { identity: this.identity, values: { power: 5, energy: 1, state }, hasEmeter: true };
  }
  async setRelay(on: boolean): Promise<void> {
    if (this.identity === undefined)
      throw new PlugError(PlugErrorCode.TIMEOUT, this.target, 'no answer');
    this.relays.push(on);
  }
  close(): void {}
}

const T0 = 1_700_000_005_000;
const flush = () => new Promise((r) => setImmediate(r));
const mac = (n: number) => `50:C7:BF:00:00:0${n}`;

function build(entries: { config?: Partial<DeviceConfig>; identity?: PlugIdentity }[]) {
  const clock = new ManualClock(T0);
  const sink = new RecordingSink();
  const mem = memoryLogger();
  const devices: DeviceConfig[] = entries.map((e, i) => ({
    host: `10.0.0.${i + 1}`,
    port: 9999,
    ...e.config,
  }));
  const config: Pick<Config, 'poll' | 'devices'> = {
    poll: { interval: 10, timeout: 2, concurrency: 8, offlineAfter: 2 },
    devices,
  };
  const plugs = new Map<string, FakePlug>();
  entries.forEach((e, i) => {
    const d = devices[i] as DeviceConfig;
    plugs.set(`${d.host}:${d.port}`, new FakePlug(`${d.host}:${d.port}`, e.identity));
  });
  const collector = new Collector(config, {
    clock,
    log: mem.log,
    sink,
    makeDevice: (c, n) =>
      new PolledDevice(c, n, plugs.get(`${c.host}:${c.port}`) as FakePlug, clock),
  });
  const tick = async () => {
    clock.advance(10_000);
    for (let i = 0; i < 4; i++) await flush();
  };
  const plug = (i: number) => plugs.get(`${devices[i]!.host}:${devices[i]!.port}`) as FakePlug;
  const names = () => collector.devices.map((d) => d.info.name);
  return { clock, sink, mem, collector, tick, plug, names, devices };
}

describe('device names are unique by construction', () => {
  it('a derived name never takes a configured one, and a relay command reaches only the device it names', async () => {
    // The unnamed plug aliased "Fridge" comes first and answers first; "fridge" is configured
    // for the second entry, whose plug has not answered yet.
    const t = build([
      { config: { control: true }, identity: { alias: 'Fridge', mac: mac(1) } },
      { config: { name: 'fridge', control: true } },
    ]);
    await t.collector.start();
    await t.tick();
    expect(t.names()).toEqual(['fridge_50c7bf000001', 'fridge']);
    expect(new Set(t.sink.readings.map((r) => r.device.name))).toEqual(
      new Set(['fridge_50c7bf000001']),
    );
    const outcome = await t.collector.relayCommand({ device: 'fridge', action: 'OFF' });
    expect(outcome).toBe('failed'); // the configured fridge is asked, and does not answer
    expect(t.plug(0).relays).toEqual([]);
    await t.collector.stop();
  });

  it('a plug that never answered stands in under an address name that no configured name uses', async () => {
    const t = build([
      { config: { host: 'fridge', control: true } },
      { config: { name: 'fridge' }, identity: { alias: 'Fridge', mac: mac(2) } },
    ]);
    await t.collector.start();
    for (let i = 0; i < 2; i++) await t.tick();
    expect(t.names()).toEqual(['fridge_9999', 'fridge']);
    expect(t.sink.availability_).toContainEqual({ name: 'fridge_9999', online: false });
    expect(t.sink.availability_).not.toContainEqual({ name: 'fridge', online: false });
    await t.collector.stop();
  });

  it('resolves a clash between derived names by MAC, then deviceId, then host:port, and logs it once', async () => {
    const t = build([
      { identity: { alias: 'Plug', mac: mac(1) } },
      { identity: { alias: 'Plug', mac: mac(2) } },
      { identity: { alias: 'Plug', mac: '', deviceId: '80061234ABCD' } },
      { identity: { alias: 'Plug', mac: '00:00:00:00:00:00' } },
    ]);
    await t.collector.start();
    await t.tick();
    await t.tick();
    expect(t.names()).toEqual([
      'plug',
      'plug_50c7bf000002',
      'plug_80061234abcd',
      'plug_10_0_0_4_9999',
    ]);
    const clashes = t.mem.lines.filter((l) => String(l.msg).includes('is taken'));
    expect(clashes.map((l) => l['device'])).toEqual([
      'plug_50c7bf000002',
      'plug_80061234abcd',
      'plug_10_0_0_4_9999',
    ]);
    await t.collector.stop();
  });

  it('does not merge two entries that report the same MAC: the second fails with POLL_DUPLICATE', async () => {
    const same = { alias: 'Kettle', mac: mac(3), deviceId: '8006AA' };
    const t = build([
      { config: { name: 'kettle', node: 30 }, identity: same },
      { config: { host: 'kettle.lan', name: 'kettle2', node: 31 }, identity: same },
    ]);
    await t.collector.start();
    for (let i = 0; i < 3; i++) await t.tick();
    expect(t.sink.readings.map((r) => r.device.name)).toEqual(['kettle', 'kettle', 'kettle']);
    expect(t.sink.availability_).toEqual([
      { name: 'kettle', online: true },
      { name: 'kettle2', online: false },
    ]);
    const told = t.mem.lines.filter((l) => l['code'] === 'POLL_DUPLICATE' && l.level >= 40);
    expect(told).toHaveLength(2); // once when seen, once when it goes offline
    expect(String(told[0]?.msg)).toContain('devices[0]');
    expect(t.collector.stats.pollsFailed).toBe(3);
    await t.collector.stop();
  });

  it('on reload, a new configured name takes precedence over a running derived one', async () => {
    const t = build([{ identity: { alias: 'Lamp', mac: mac(4) } }]);
    await t.collector.start();
    await t.tick();
    expect(t.names()).toEqual(['lamp']);
    t.collector.setDevices([
      t.devices[0] as DeviceConfig,
      { host: '10.0.0.9', port: 9999, name: 'lamp' },
    ]);
    expect(t.names()).toEqual(['10_0_0_1', 'lamp']);
    await t.collector.stop();
  });
});
