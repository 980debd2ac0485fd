import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { buildCollector } from '../../src/main.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { freePort } from '../fakes/broker.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';
import { waitFor } from '../fakes/wait.js';

/**
 * `poll.cron` end to end: the config loader, the real collector and device client polling a
 * simulated plug over loopback, the schedule on the manual clock. Every quarter hour of
 * Europe/Berlin through the night summer time ends (27 October 2024, 03:00 CEST → 02:00 CET).
 */

const NIGHT = Date.UTC(2024, 9, 27, 0, 5); // 02:05 CEST
const QUARTER = 15 * 60_000;

describe('poll.cron end to end', () => {
  let plug: SimulatedPlug;
  const clock = new ManualClock(NIGHT);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-cron-'));

  beforeAll(async () => {
    plug = new SimulatedPlug({ profile: 'kp115', alias: 'Desk', now: () => clock.now() });
    await plug.start();
  });
  afterAll(async () => {
    await plug.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const config = (over: object = {}): Config =>
    loadConfig({
      env: {},
      overrides: {
        poll: { cron: '0 */15 * * * *', timezone: 'Europe/Berlin', timeout: 2 },
        devices: [{ host: '127.0.0.1', port: plug.port, name: 'desk' }],
        mqtt: { enabled: false },
        state: { dir: stateDir },
        ...over,
      },
    });

  it('polls on every run of the pattern, each reading stamped with its run', async () => {
    const sink = new RecordingSink();
    const mem = memoryLogger();
    const collector = new Collector(config(), { clock, log: mem.log, sink });
    await collector.start();
    expect(mem.lines.find((l) => l['msg'] === 'collector started')).toMatchObject({
      cron: '0 */15 * * * *',
      firstTick: Date.UTC(2024, 9, 27, 0, 15) / 1000,
    });
    for (let n = 1; n <= 6; n++) {
      clock.advance(QUARTER);
      await waitFor(() => sink.readings.length === n, 5000, `reading ${n}`);
    }
    await collector.stop();
    // 02:15, 02:30, 02:45 CEST, then 02:00, 02:15, 02:30 CET: one quarter hour apart in real time.
    expect(sink.readings.map((r) => new Date(r.time * 1000).toISOString())).toEqual(
      [15, 30, 45, 60, 75, 90].map((m) => new Date(Date.UTC(2024, 9, 27, 0, m)).toISOString()),
    );
    expect(sink.readings.every((r) => r.device.name === 'desk' && r.values.power! > 0)).toBe(true);
    expect(collector.stats).toMatchObject({ ticks: 6, skippedTicks: 0, clockSteps: 0 });
  });

  it('derives /healthz from the pattern: 2 gaps of 15 min, not 2 × poll.interval', async () => {
    const port = await freePort();
    // No plug: nothing ever answers, but every tick completes, so /healthz stays 200.
    const collector = buildCollector(
      config({ devices: [], http: { enabled: true, host: '127.0.0.1', port } }),
      memoryLogger('silent').log,
      clock,
    );
    await collector.start();
    try {
      const health = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect(await health()).toEqual({
        status: 200,
        body: { status: 'ok', lastTick: null, ageS: 0, limitS: 1800, lastSuccess: null },
      });
      clock.advance(60_000); // 2 × poll.interval (10 s) is long past
      expect((await health()).status).toBe(200);
      for (let q = 0; q < 4; q++) {
        clock.advance(QUARTER);
        await waitFor(async () => (await health()).body['lastTick'] !== null, 5000, 'a tick');
      }
      expect(await health()).toMatchObject({ status: 200, body: { status: 'no-answers' } });
    } finally {
      await collector.stop();
    }
  });
});
