import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsSink } from '../../../src/sinks/prometheus/sink.js';
import { fridgeReading, startSink, T0 } from './helpers.js';

/** `/healthz` with a 10 s interval: healthy within 3 intervals of the last success (or start). */
describe('metrics sink: /healthz and routing', () => {
  let sink: MetricsSink | undefined;
  afterEach(async () => {
    await sink?.stop();
  });

  it('is healthy during the start grace period, then 503 without any success', async () => {
    const started = await startSink();
    sink = started.sink;
    started.clock.advance(30_000);
    let res = await started.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(JSON.parse(res.text)).toEqual({ status: 'ok', lastSuccess: null, ageS: 30, limitS: 30 });
    started.clock.advance(1);
    res = await started.get('/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'stale', lastSuccess: null });
  });

  it('reports the last success and fails 3 intervals after it', async () => {
    const started = await startSink();
    sink = started.sink;
    started.clock.advance(10_000);
    sink.write(fridgeReading(1_700_000_010, 1));
    let res = await started.get('/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      status: 'ok',
      lastSuccess: new Date(T0 + 10_000).toISOString(),
      ageS: 0,
      limitS: 30,
    });
    started.clock.advance(30_000);
    expect((await started.get('/healthz')).status).toBe(200);
    started.clock.advance(1_000);
    res = await started.get('/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'stale', ageS: 31 });
    sink.write(fridgeReading(1_700_000_050, 1));
    expect((await started.get('/healthz')).status).toBe(200);
  });

  it('measures ages on monotonic time: a wall clock stepped back or forward changes nothing', async () => {
    const started = await startSink();
    sink = started.sink;
    started.clock.advance(10_000);
    sink.write(fridgeReading(1_700_000_010, 1));
    started.clock.stepWall(-3_600_000); // with wall-clock ages this read as -3570 s: "fresh"
    started.clock.advance(31_000);
    let res = await started.get('/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({
      ageS: 31,
      lastSuccess: new Date(T0 + 10_000).toISOString(),
    });
    sink.write(fridgeReading(1_700_000_050, 1));
    started.clock.stepWall(7_200_000); // nor does a step forward make a fresh success stale
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
