import { MetricsSink } from '../../../src/sinks/prometheus/sink.js';
import type { QueueStats } from '../../../src/sinks/prometheus/metrics.js';
import type { DeviceInfo, Reading } from '../../../src/reading.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { memoryLogger } from '../../fakes/memory-log.js';

/** 2023-11-14T22:13:20Z: a round tick. */
export const T0 = 1_700_000_000_000;

export const FRIDGE: DeviceInfo = { name: 'fridge', host: '10.0.0.1', port: 9999, node: 27 };

/** A fridge reading at `time` with the given lifetime kWh (and the usual other fields). */
export function fridgeReading(time: number, energyTotal: number, power = 80.5): Reading {
  return {
    time,
    device: FRIDGE,
    identity: {
      alias: 'Fridge',
      model: 'HS110(EU)',
      hw_ver: '1.0',
      sw_ver: '1.2.6 Build 200727 Rel.121701',
      mac: '50:C7:BF:00:00:01',
    },
    values: {
      power,
      energy: 1.25,
      energy_total: energyTotal,
      voltage: 231.2,
      current: 0.41,
      state: 'ON',
      rssi: -60,
    },
    hasEmeter: true,
  };
}

/** A started metrics sink on 127.0.0.1, a free port, a manual clock and a 10 s interval. */
export async function startSink(sinks: QueueStats[] = []): Promise<{
  sink: MetricsSink;
  clock: ManualClock;
  get: (path: string) => Promise<{ status: number; type: string | null; text: string }>;
}> {
  const clock = new ManualClock(T0);
  const sink = new MetricsSink(
    { host: '127.0.0.1', port: 0 },
    { log: memoryLogger('silent').log, clock, intervalS: 10, sinks },
  );
  await sink.start();
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${sink.port}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  return { sink, clock, get };
}

/** The lines of a scrape that belong to family `name`: its HELP, its TYPE and its samples. */
export function family(text: string, name: string): string[] {
  const heads = [`${name}{`, `${name} `, `# HELP ${name} `, `# TYPE ${name} `];
  return text.split('\n').filter((l) => heads.some((h) => l.startsWith(h)));
}
