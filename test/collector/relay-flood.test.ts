import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import { RELAY_SPACING_MS, type RelayCommandOutcome } from '../../src/collector/relay-control.js';
import type { Config } from '../../src/config/types.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';
import { driveUntil } from '../fakes/wait.js';

/**
 * Relay commands are coalesced (`relay-control.ts`): per relay at most one request in flight,
 * the latest wanted state wins, and commands to one relay are at least RELAY_SPACING_MS apart.
 * Against a simulated plug that counts what it is sent.
 */

// The first tick is a minute away: only relay commands make readings here.
const T0 = 1_700_000_040_001;

/** `system.set_relay_state` requests the plug received. */
function relayRequests(plug: SimulatedPlug): number {
  return plug.received.filter(
    (r) =>
      typeof r === 'object' &&
      r !== null &&
      'set_relay_state' in ((r as { system?: object }).system ?? {}),
  ).length;
}

describe('a flood of relay commands', () => {
  let plug: SimulatedPlug | undefined;
  let collector: Collector | undefined;
  afterEach(async () => {
    await collector?.stop();
    await plug?.stop();
  });

  async function setup() {
    const clock = new ManualClock(T0);
    plug = new SimulatedPlug({ profile: 'kp115', alias: 'Kettle', relay: true });
    await plug.start();
    const sink = new RecordingSink();
    const mem = memoryLogger('info');
    const config: Pick<Config, 'poll' | 'devices'> = {
      poll: { interval: 60, timeout: 2, concurrency: 4, offlineAfter: 3 },
      devices: [{ host: plug.host, port: plug.port, name: 'kettle', node: 27, control: true }],
    };
    collector = new Collector(config, {
      clock,
      log: mem.log,
      sink,
      makeDevice: (c, n) => new PolledDevice(c, n, undefined, clock),
    });
    await collector.start();
    return { clock, sink, mem, collector, plug };
  }

  it('1000 alternating ON/OFF become two relay requests, one reading and two log lines', async () => {
    const { clock, sink, mem, collector, plug } = await setup();
    await collector.pollNow(1_700_000_040); // the relay is known (on) before the flood
    sink.readings.length = 0;
    const outcomes: RelayCommandOutcome[] = [];
    const all = Array.from({ length: 1000 }, (_, i) =>
      collector
        .relayCommand({ device: 'kettle', action: i % 2 === 0 ? 'ON' : 'OFF' })
        .then((o) => void outcomes.push(o)),
    );
    // The first command goes out at once; the other 999 wait behind it and fold into the last.
    await driveUntil(clock, 100, () => outcomes.length === 1000, 10_000, 'every command settled');
    await Promise.all(all);
    expect(relayRequests(plug)).toBe(2);
    expect(plug.relay).toBe(false); // the last command (OFF) wins
    expect(outcomes.filter((o) => o === 'switched')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'superseded')).toHaveLength(998);
    // The first request found the relay already on: only the switch to OFF is a new reading.
    expect(sink.readings.map((r) => r.values.state)).toEqual(['OFF']);
    const lines = mem.lines.filter((l) => l.msg.startsWith('relay'));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ device: 'kettle', action: 'OFF', superseded: 998 });
  });

  it('spaces two commands to one relay by RELAY_SPACING_MS', async () => {
    const { clock, collector, plug } = await setup();
    expect(await collector.relayCommand({ device: 'kettle', action: 'OFF' })).toBe('switched');
    let second: RelayCommandOutcome | undefined;
    void collector.relayCommand({ device: 'kettle', action: 'ON' }).then((o) => (second = o));
    await driveUntil(clock, 50, () => second !== undefined, 10_000, 'the second command');
    expect(second).toBe('switched');
    expect(relayRequests(plug)).toBe(2);
    expect(clock.monotonic()).toBeGreaterThanOrEqual(RELAY_SPACING_MS);
  });

  it('stop() cancels a command waiting for its spacing and leaves no timer behind', async () => {
    const { clock, collector, plug } = await setup();
    expect(await collector.relayCommand({ device: 'kettle', action: 'OFF' })).toBe('switched');
    const waiting = collector.relayCommand({ device: 'kettle', action: 'ON' });
    await collector.stop();
    expect(await waiting).toBe('cancelled');
    expect(clock.pending).toBe(0);
    expect(relayRequests(plug)).toBe(1);
  });

  it('logs commands to unknown devices once per name, at most a few lines a minute', async () => {
    const { mem, collector } = await setup();
    for (let i = 0; i < 60_000; i++) {
      await collector.relayCommand({ device: `ghost_${i}`, action: 'ON' });
    }
    const ignored = mem.lines.filter((l) => l.msg.startsWith('relay command ignored'));
    expect(ignored.length).toBeLessThanOrEqual(10);
    expect(mem.text().length).toBeLessThan(10_000);
  });
});
