import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsSink } from '../../../src/sinks/prometheus/sink.js';
import { fridgeReading, startSink, T0 } from './helpers.js';

/**
 * `/healthz` with a 10 s interval: 200 while a tick completed within 2 intervals (or since start),
 * whatever the plugs answered; the body says whether any did.
 */
describe('metrics sink: /healthz and routing', () => {
  let sink: MetricsSink | undefined;
  afterEach(async () => {
    await sink?.stop();
  });

  it('is healthy during the start grace period, then 503 when no tick completed within 2 intervals', async () => {
    const started = await startSink();
    sink = started.sink;
    started.clock.advance(20_000);
    let res = await started.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(JSON.parse(res.text)).toEqual({
      status: 'ok',
      lastTick: null,
      ageS: 20,
      limitS: 20,
      lastSuccess: null,
    });
    started.clock.advance(1);
    res = await started.get('/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'stale', lastTick: null });
  });

  it('stays 200 while ticks complete with every plug down, and says "no-answers"', async () => {
    const started = await startSink();
    sink = started.sink;
    for (let t = 1; t <= 6; t++) {
      started.clock.advance(10_000);
      sink.tickDone();
    }
    const res = await started.get('/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      status: 'no-answers',
      lastTick: new Date(T0 + 60_000).toISOString(),
      ageS: 0,
      limitS: 20,
      lastSuccess: null,
    });
    sink.write(fridgeReading(1_700_000_060, 1));
    expect(JSON.parse((await started.get('/healthz')).text)).toMatchObject({ status: 'ok' });
  });

  it('fails 2 intervals after the last completed tick, even while readings still come', async () => {
    const started = await startSink();
    sink = started.sink;
    started.clock.advance(10_000);
    sink.tickDone();
    sink.write(fridgeReading(1_700_000_010, 1));
    for (let t = 2; t <= 4; t++) {
      started.clock.advance(10_000);
      sink.write(fridgeReading(1_700_000_000 + 10 * t, 1)); // a relay re-poll, say: no tick
    }
    const res = await started.get('/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toEqual({
      status: 'stale',
      lastTick: new Date(T0 + 10_000).toISOString(),
      ageS: 30,
      limitS: 20,
      lastSuccess: new Date(T0 + 40_000).toISOString(),
    });
    sink.tickDone();
    expect((await started.get('/healthz')).status).toBe(200);
  });

  it('measures ages on monotonic time: a wall clock stepped back or forward changes nothing', async () => {
    const started = await startSink();
    sink = started.sink;
    started.clock.advance(10_000);
    sink.tickDone();
    sink.write(fridgeReading(1_700_000_010, 1));
    started.clock.stepWall(-3_600_000); // with wall-clock ages this read as -3570 s: "fresh"
    started.clock.advance(21_000);
    let res = await started.get('/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({
      ageS: 21,
      lastTick: new Date(T0 + 10_000).toISOString(),
    });
    sink.tickDone();
    sink.write(fridgeReading(1_700_000_050, 1));
    started.clock.stepWall(7_200_000); // nor does a step forward make a fresh tick stale
    res = await started.get('/healthz');
    expect(JSON.parse(res.text)).toMatchObject({ status: 'ok', ageS: 0 });
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const started = await startSink();
    sink = started.sink;
    expect((await started.get('/')).status).toBe(404);
    expect((await started.get('/metrics/x')).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${sink.port}/metrics`, { method: 'POST' });
    expect(res.status).toBe(405);
  });

  it('stops with keep-alive connections open, twice without harm', async () => {
    const started = await startSink();
    sink = started.sink;
    const port = sink.port;
    expect((await started.get('/metrics')).status).toBe(200);
    await sink.stop();
    await sink.stop();
    expect(sink.port).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
