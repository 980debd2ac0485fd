import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsSink } from '../../../src/sinks/prometheus/sink.js';
import { FRIDGE, family, fridgeReading, startSink } from './helpers.js';

/** What `/metrics` shows for readings fed through the sink, line by line. */
describe('metrics sink: /metrics', () => {
  let sink: MetricsSink | undefined;
  afterEach(async () => {
    await sink?.stop();
  });

  it('serves each reading field under its Prometheus name, with HELP and TYPE', async () => {
    const started = await startSink();
    sink = started.sink;
    sink.availability(FRIDGE, true);
    sink.write(fridgeReading(1_700_000_010, 41.3721));
    const res = await started.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = (name: string) => family(res.text, name);
    expect(lines('kasa_power_watts')).toEqual([
      '# HELP kasa_power_watts Real power, W.',
      '# TYPE kasa_power_watts gauge',
      'kasa_power_watts{device="fridge",outlet=""} 80.5',
    ]);
    expect(lines('kasa_voltage_volts')).toContain(
      'kasa_voltage_volts{device="fridge",outlet=""} 231.2',
    );
    expect(lines('kasa_current_amperes')).toContain(
      'kasa_current_amperes{device="fridge",outlet=""} 0.41',
    );
    expect(lines('kasa_rssi_dbm')).toContain('kasa_rssi_dbm{device="fridge",outlet=""} -60');
    expect(lines('kasa_relay_on')).toContain('kasa_relay_on{device="fridge",outlet=""} 1');
    expect(lines('kasa_device_up')).toContain('kasa_device_up{device="fridge",outlet=""} 1');
    expect(lines('kasa_energy_joules_total')).toEqual([
      '# HELP kasa_energy_joules_total Lifetime energy (energy_total, kWh x 3.6e6), J; survives plug reboots.',
      '# TYPE kasa_energy_joules_total counter',
      'kasa_energy_joules_total{device="fridge",outlet=""} 148939560',
    ]);
    expect(lines('kasa_device_info')).toEqual([
      '# HELP kasa_device_info What the plug says about itself; always 1.',
      '# TYPE kasa_device_info gauge',
      'kasa_device_info{device="fridge",host="10.0.0.1",model="HS110(EU)",hw_ver="1.0",sw_ver="1.2.6 Build 200727 Rel.121701",mac="50:C7:BF:00:00:01"} 1',
    ]);
    expect(res.text).toContain('# TYPE process_cpu_seconds_total counter');
  });

  it('counts polls by outcome, observes durations and counts spikes', async () => {
    const started = await startSink();
    sink = started.sink;
    sink.poll(FRIDGE, undefined, 0.012);
    sink.poll(FRIDGE, 'PLUG_TIMEOUT', 2);
    sink.poll(FRIDGE, 'PLUG_TIMEOUT', undefined);
    sink.poll(FRIDGE, 'POLL_NOT_STARTED', undefined);
    sink.spike(FRIDGE, 'power');
    const { text } = await started.get('/metrics');
    expect(family(text, 'kasa_polls_total').slice(2)).toEqual([
      'kasa_polls_total{device="fridge",result="ok"} 1',
      'kasa_polls_total{device="fridge",result="PLUG_TIMEOUT"} 2',
      'kasa_polls_total{device="fridge",result="POLL_NOT_STARTED"} 1',
    ]);
    expect(text).toContain('# TYPE kasa_poll_duration_seconds histogram');
    expect(text).toContain('kasa_poll_duration_seconds_bucket{le="0.005",device="fridge"} 0');
    expect(text).toContain('kasa_poll_duration_seconds_bucket{le="0.025",device="fridge"} 1');
    expect(text).toContain('kasa_poll_duration_seconds_bucket{le="2",device="fridge"} 2');
    expect(text).toContain('kasa_poll_duration_seconds_count{device="fridge"} 2');
    expect(text).toContain('kasa_poll_duration_seconds_sum{device="fridge"} 2.012');
    expect(family(text, 'kasa_spikes_total')).toContain(
      'kasa_spikes_total{device="fridge",outlet="",field="power"} 1',
    );
  });

  it('flips kasa_device_up with availability and drops the instant gauges while offline', async () => {
    const started = await startSink();
    sink = started.sink;
    sink.availability(FRIDGE, true);
    sink.write(fridgeReading(1_700_000_010, 41));
    sink.availability(FRIDGE, false);
    let { text } = await started.get('/metrics');
    expect(family(text, 'kasa_device_up')).toContain('kasa_device_up{device="fridge",outlet=""} 0');
    expect(family(text, 'kasa_power_watts').slice(2)).toEqual([]);
    expect(family(text, 'kasa_energy_joules_total')).toContain(
      'kasa_energy_joules_total{device="fridge",outlet=""} 147600000',
    );
    sink.availability(FRIDGE, true);
    ({ text } = await started.get('/metrics'));
    expect(family(text, 'kasa_device_up')).toContain('kasa_device_up{device="fridge",outlet=""} 1');
  });

  it('forgets the gauges and energy of a device removed from the config', async () => {
    const started = await startSink();
    sink = started.sink;
    sink.availability(FRIDGE, true);
    sink.write(fridgeReading(1_700_000_010, 41));
    sink.availability(FRIDGE, false);
    sink.removed(FRIDGE);
    const { text } = await started.get('/metrics');
    for (const name of ['kasa_device_up', 'kasa_device_info', 'kasa_energy_joules_total']) {
      expect(family(text, name).slice(2)).toEqual([]);
    }
  });

  it('never lets kasa_energy_joules_total decrease', async () => {
    const started = await startSink();
    sink = started.sink;
    const seen: number[] = [];
    for (const [i, kwh] of [1, 1.5, 1.2, 2].entries()) {
      sink.write(fridgeReading(1_700_000_010 + 10 * i, kwh));
      const { text } = await started.get('/metrics');
      const line = family(text, 'kasa_energy_joules_total')[2] ?? '';
      seen.push(Number(line.split(' ')[1]));
    }
    expect(seen).toEqual([3.6e6, 5.4e6, 5.4e6, 7.2e6]);
  });

  it('removes a field the reading lacks instead of keeping a stale value', async () => {
    const started = await startSink();
    sink = started.sink;
    sink.write(fridgeReading(1_700_000_010, 1));
    const spiked = fridgeReading(1_700_000_020, 1);
    delete spiked.values.power;
    sink.write(spiked);
    const { text } = await started.get('/metrics');
    expect(family(text, 'kasa_power_watts').slice(2)).toEqual([]);
    expect(family(text, 'kasa_voltage_volts').slice(2)).toHaveLength(1);
  });

  it('reads sink queue depth and drops at scrape time', async () => {
    const fake = { name: 'mqtt', queued: 0, dropped: 0 };
    const started = await startSink([fake]);
    sink = started.sink;
    fake.queued = 42;
    fake.dropped = 7;
    let { text } = await started.get('/metrics');
    expect(family(text, 'kasa_sink_queue_depth')).toEqual([
      '# HELP kasa_sink_queue_depth Entries waiting in a sink backlog (MQTT outbox, emonhub queue).',
      '# TYPE kasa_sink_queue_depth gauge',
      'kasa_sink_queue_depth{sink="mqtt"} 42',
    ]);
    expect(family(text, 'kasa_sink_dropped_total')).toContain(
      'kasa_sink_dropped_total{sink="mqtt"} 7',
    );
    fake.queued = 0;
    ({ text } = await started.get('/metrics'));
    expect(family(text, 'kasa_sink_queue_depth')).toContain('kasa_sink_queue_depth{sink="mqtt"} 0');
  });

  it("shows how long a sink backlog's oldest entry has waited, for sinks that track it", async () => {
    const emonhub = { name: 'emonhub', queued: 340, dropped: 0, backlogAgeS: 37.5 };
    const mqtt = { name: 'mqtt', queued: 0, dropped: 0 };
    const started = await startSink([mqtt, emonhub]);
    sink = started.sink;
    const { text } = await started.get('/metrics');
    expect(family(text, 'kasa_sink_backlog_age_seconds').slice(2)).toEqual([
      'kasa_sink_backlog_age_seconds{sink="emonhub"} 37.5',
    ]);
  });
});
