import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { Config } from '../../src/config/types.js';
import { PlugError, PlugErrorCode } from '../../src/errors.js';
import type { DeviceClient, DeviceSample } from '../../src/kasa/sample.js';
import { MetricsSink } from '../../src/sinks/prometheus/sink.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

/**
 * `/healthz` follows completed ticks (`sinks/prometheus/health.ts`), which the collector reports
 * once every poll of a tick has settled: a schedule that stops firing fails it within two
 * intervals, plugs that stop answering do not.
 */

const flush = () => new Promise((r) => setImmediate(r));

/** Answers, or times out after the deadline on the manual clock. */
class Plug implements DeviceClient {
  answering = true;
  constructor(
    readonly target: string,
    private readonly clock: ManualClock,
  ) {}
  poll(timeoutMs: number): Promise<DeviceSample> {
    if (this.answering) {
      return Promise.resolve({
        identity: { alias: 'Desk' },
        values: { power: 5 },
        hasEmeter: true,
      });
    }
    return new Promise((_, reject) =>
      this.clock.setTimeout(
        () => reject(new PlugError(PlugErrorCode.TIMEOUT, this.target, 'no answer')),
        timeoutMs,
      ),
    );
  }
  async setRelay(): Promise<void> {}
  close(): void {}
}

describe('/healthz and the ticks of a running collector', () => {
  let collector: Collector | undefined;
  let metrics: MetricsSink | undefined;
  afterEach(async () => {
    await collector?.stop();
    await metrics?.stop();
  });

  async function setup(startMs: number, poll: Config['poll']) {
    const clock = new ManualClock(startMs);
    const log = memoryLogger('silent').log;
    metrics = new MetricsSink({ host: '127.0.0.1', port: 0 }, { log, clock, intervalS: 10 });
    const plug = new Plug('10.0.0.1:9999', clock);
    collector = new Collector(
      { poll, devices: [{ host: '10.0.0.1', port: 9999, name: 'desk' }] },
      {
        clock,
        log,
        sink: metrics,
        observer: metrics,
        makeDevice: (c, n) => new PolledDevice(c, n, plug, clock),
      },
    );
    await collector.start();
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${metrics!.port}/healthz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const advance = async (ms: number) => {
      for (let left = ms; left > 0; left -= 1000) {
        clock.advance(Math.min(1000, left));
        await flush();
      }
    };
    return { clock, plug, health, advance };
  }

  it('counts a tick once its polls have settled, and stays 200 when no plug answers', async () => {
    const t0 = Date.UTC(2024, 0, 1, 12, 0, 5);
    const { plug, health, advance } = await setup(t0, {
      interval: 10,
      timeout: 2,
      concurrency: 4,
      offlineAfter: 3,
    });
    plug.answering = false;
    await advance(5_000); // the tick at 12:00:10 starts; its poll times out 2 s later
    expect((await health()).body['lastTick']).toBeNull();
    await advance(2_000);
    expect((await health()).body['lastTick']).toBe('2024-01-01T12:00:12.000Z');
    await advance(60_000);
    expect(await health()).toMatchObject({
      status: 200,
      body: { status: 'no-answers', lastSuccess: null },
    });
  });

  it('fails two intervals after the schedule stopped firing', async () => {
    // Every 10 s in 2023 only: the schedule ends at the new year, as a stuck one would stop.
    const t0 = Date.UTC(2023, 11, 31, 23, 59, 35);
    const { health, advance } = await setup(t0, {
      interval: 10,
      cron: '*/10 * * * * * 2023',
      timezone: 'UTC',
      timeout: 2,
      concurrency: 4,
      offlineAfter: 3,
    });
    await advance(25_000); // ticks at :40, :50 (the last)
    expect(await health()).toMatchObject({
      status: 200,
      body: { status: 'ok', lastTick: '2023-12-31T23:59:50.000Z' },
    });
    await advance(10_000); // 20 s since the last tick: the limit
    expect((await health()).status).toBe(200);
    await advance(1_000);
    expect(await health()).toMatchObject({ status: 503, body: { status: 'stale', ageS: 21 } });
  });
});
