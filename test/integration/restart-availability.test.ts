import { connect, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { startFleet, type Fleet } from '../../src/sim/fleet.js';
import { MqttSink, type MqttConnect } from '../../src/sinks/mqtt/sink.js';
import { startBroker, type TestBroker } from '../fakes/broker.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { mqttConfig, subscribe, type Seen } from '../sinks/helpers.js';
import { waitFor } from '../fakes/wait.js';

/**
 * What Home Assistant sees across a collector restart, against a real broker. HA's discovery
 * config makes a device available only while `kasa/bridge/state` AND `kasa/<name>/availability`
 * both say `online` (`availability_mode: all`); the test replays every message a subscriber
 * got, in order, and checks that verdict at each one.
 */

/** HA's availability verdict per device after each message, from `from` on. */
function haVerdicts(seen: readonly Seen[], from: number): { at: number; available: string[] }[] {
  const latest = new Map<string, string>();
  const out: { at: number; available: string[] }[] = [];
  seen.forEach((m, i) => {
    if (m.topic === 'kasa/bridge/state' || m.topic.endsWith('/availability'))
      latest.set(m.topic, m.payload);
    if (i < from) return;
    const bridge = latest.get('kasa/bridge/state') === 'online';
    const available = [...latest]
      .filter(([t, p]) => t.endsWith('/availability') && p === 'online' && bridge)
      .map(([t]) => t.split('/')[1] as string);
    out.push({ at: i, available });
  });
  return out;
}

describe('availability across a collector restart (what Home Assistant sees)', () => {
  let broker: TestBroker;
  let fleet: Fleet;
  let observer: Awaited<ReturnType<typeof subscribe>>;
  const running: Collector[] = [];

  beforeEach(async () => {
    broker = await startBroker();
    fleet = await startFleet([
      { profile: 'kp115', alias: 'Kettle', load: 'desk' },
      { profile: 'hs100', alias: 'Lamp', load: 'lamp' },
    ]);
    observer = await subscribe(broker.url, 'kasa/#');
  });
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
    await observer.close();
    await fleet.stop();
    await broker.stop();
  });

  /** A collector on the fleet with its own MQTT client (reachable for a crash). */
  function collector(clock: Clock): { collector: Collector; client: () => MqttClient } {
    const defaults = loadConfig({ env: {} });
    const config: Config = {
      ...defaults,
      poll: { interval: 10, timeout: 0.5, concurrency: 2, offlineAfter: 3 },
      devices: fleet.members.map((m, i) => ({
        host: m.host,
        port: m.port,
        name: i === 0 ? 'kettle' : 'lamp',
      })),
    };
    let client: MqttClient | undefined;
    const spy: MqttConnect = (url, opts) => (client = connect(url, opts));
    const log = memoryLogger('warn').log;
    const sink = new MqttSink(mqttConfig(broker.url), { log, clock, connect: spy });
    const c = new Collector(config, { clock, log, sink });
    running.push(c);
    return { collector: c, client: () => client as MqttClient };
  }

  const payloadOf = (topic: string): string | undefined =>
    observer.seen.filter((m) => m.topic === topic).at(-1)?.payload;

  it.each(['a clean stop', 'a crash (the last will)'])(
    'after %s, no device is available until this run has read it',
    async (how) => {
      // Run 1: both plugs read and online.
      const first = collector(systemClock);
      await first.collector.start();
      await first.collector.pollNow(Math.floor(Date.now() / 1000));
      await waitFor(
        () =>
          payloadOf('kasa/kettle/availability') === 'online' &&
          payloadOf('kasa/lamp/availability') === 'online' &&
          payloadOf('kasa/bridge/state') === 'online',
        5000,
        'run 1 online',
      );
      if (how === 'a clean stop') {
        await first.collector.stop();
      } else {
        first.client().stream.destroy(); // no DISCONNECT: the broker sends the last will
        await waitFor(() => payloadOf('kasa/bridge/state') === 'offline', 5000, 'last will');
        await first.collector.stop();
      }
      running.splice(running.indexOf(first.collector), 1);
      expect(payloadOf('kasa/bridge/state')).toBe('offline');
      // What the broker still holds from run 1: both devices `online`.
      expect(payloadOf('kasa/kettle/availability')).toBe('online');

      // Run 2: the lamp no longer answers; no tick until the clock is moved.
      await fleet.members[1]!.plug.setFault('hang', true);
      const clock = new ManualClock(Math.ceil(Date.now() / 10_000) * 10_000 + 1);
      const from = observer.seen.length;
      const second = collector(clock);
      await second.collector.start();
      await waitFor(() => payloadOf('kasa/bridge/state') === 'online', 5000, 'run 2 online');
      // Both stale `online`s were replaced before the bridge said `online`.
      expect(payloadOf('kasa/kettle/availability')).toBe('offline');
      expect(payloadOf('kasa/lamp/availability')).toBe('offline');
      expect(haVerdicts(observer.seen, from).filter((v) => v.available.length > 0)).toEqual([]);

      // The first tick of run 2 reads the kettle: available, its new reading first.
      const before = observer.seen.length;
      clock.advance(10_000);
      const after = (topic: string): number =>
        observer.seen.findIndex((m, i) => i >= before && m.topic === topic);
      await waitFor(
        () => after('kasa/kettle/availability') >= 0 && after('kasa/kettle') >= 0,
        5000,
        'kettle read in run 2',
      );
      expect(payloadOf('kasa/kettle/availability')).toBe('online');
      expect(after('kasa/kettle')).toBeLessThan(after('kasa/kettle/availability'));
      const verdicts = haVerdicts(observer.seen, from);
      expect(verdicts.at(-1)?.available).toEqual(['kettle']);
      // The lamp, read by no tick of run 2, never was available in it.
      expect(verdicts.some((v) => v.available.includes('lamp'))).toBe(false);
    },
    20_000,
  );
});
