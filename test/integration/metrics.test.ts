import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import { EnergyTotals } from '../../src/energy/totals.js';
import { MetricsSink } from '../../src/sinks/prometheus/sink.js';
import { startFleet, type Fleet } from '../../src/sim/fleet.js';
import { Fanout } from '../../src/sinks/fanout.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';
import { family } from '../sinks/prometheus/helpers.js';

/**
 * The real collector polling simulated plugs over TCP, wired to the metrics sink the way
 * `buildCollector` wires it (a fan-out member and the collector's observer); what `/metrics`
 * shows must be exactly what the other sinks were given.
 */
describe('collector → metrics sink → /metrics', () => {
  let fleet: Fleet;
  let metrics: MetricsSink;
  let energyTotals: EnergyTotals;
  const recording = new RecordingSink();
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-metrics-'));
  let text = '';

  beforeAll(async () => {
    const { log } = memoryLogger('silent');
    fleet = await startFleet([
      { profile: 'hs110v1', alias: 'Fridge', load: 'fridge' },
      { profile: 'hs100', alias: 'Hall Lamp', load: 'lamp' },
      { profile: 'kp115', alias: 'Stuck', load: 'desk' },
    ]);
    await fleet.members[2]!.plug.setFault('hang', true);
    const devices = fleet.members.map((m) => ({ host: m.host, port: m.port }));
    devices[2] = { ...devices[2]!, name: 'stuck' } as (typeof devices)[number];
    const poll = { interval: 10, timeout: 0.3, concurrency: 4, offlineAfter: 1 };
    metrics = new MetricsSink(
      { host: '127.0.0.1', port: 0 },
      { log, clock: systemClock, intervalS: poll.interval },
    );
    energyTotals = new EnergyTotals({ dir: stateDir, clock: systemClock, log });
    const collector = new Collector(
      { poll, devices },
      {
        clock: systemClock,
        log,
        sink: new Fanout([metrics, recording], log),
        observer: metrics,
        filter: loadConfig({ env: {} }).filter,
        energyTotals,
      },
    );
    // Ticks driven by hand: the schedule stays off, so no real tick can interleave.
    energyTotals.load();
    await metrics.start();
    await collector.pollNow(1_700_000_010);
    await collector.pollNow(1_700_000_020);
    const res = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
    expect(res.status).toBe(200);
    text = await res.text();
  }, 20_000);

  afterAll(async () => {
    await metrics?.stop();
    energyTotals?.close();
    await fleet?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('shows the last reading of each plug, as published', () => {
    const fridge = recording.readings.filter((r) => r.device.name === 'fridge').at(-1)!;
    const v = fridge.values;
    expect(v.power).toBeGreaterThan(0);
    expect(family(text, 'kasa_power_watts')).toContain(
      `kasa_power_watts{device="fridge",outlet=""} ${v.power}`,
    );
    expect(family(text, 'kasa_voltage_volts')).toContain(
      `kasa_voltage_volts{device="fridge",outlet=""} ${v.voltage}`,
    );
    expect(family(text, 'kasa_current_amperes')).toContain(
      `kasa_current_amperes{device="fridge",outlet=""} ${v.current}`,
    );
    expect(family(text, 'kasa_energy_joules_total')).toContain(
      `kasa_energy_joules_total{device="fridge",outlet=""} ${v.energy_total! * 3.6e6}`,
    );
    expect(family(text, 'kasa_rssi_dbm')).toContain(
      `kasa_rssi_dbm{device="fridge",outlet=""} ${v.rssi}`,
    );
    expect(family(text, 'kasa_device_info').join('\n')).toContain(
      `kasa_device_info{device="fridge",host="127.0.0.1",model="${fridge.identity.model}"`,
    );
  });

  it('leaves the meter families out for a plug without an emeter', () => {
    expect(text).toContain('kasa_relay_on{device="hall_lamp",outlet=""}');
    expect(text).not.toContain('kasa_power_watts{device="hall_lamp"');
  });

  it('counts polls by outcome and times them; a hung plug is down', () => {
    const polls = family(text, 'kasa_polls_total');
    expect(polls).toContain('kasa_polls_total{device="fridge",result="ok"} 2');
    expect(polls).toContain('kasa_polls_total{device="hall_lamp",result="ok"} 2');
    expect(polls).toContain('kasa_polls_total{device="stuck",result="PLUG_TIMEOUT"} 2');
    expect(text).toContain('kasa_poll_duration_seconds_count{device="fridge"} 2');
    expect(text).toContain('kasa_poll_duration_seconds_bucket{le="0.005",device="stuck"} 0');
    expect(family(text, 'kasa_device_up')).toContain('kasa_device_up{device="stuck",outlet=""} 0');
    expect(family(text, 'kasa_device_up')).toContain('kasa_device_up{device="fridge",outlet=""} 1');
  });
});
