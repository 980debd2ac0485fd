import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsSink } from '../../../src/sinks/prometheus/sink.js';
import { Fanout } from '../../../src/sinks/fanout.js';
import type { Sink, SinkStatus } from '../../../src/sinks/sink.js';
import { CONTENT_SECURITY_POLICY, StatusSink } from '../../../src/sinks/status/sink.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { makeReading } from '../helpers.js';
import { waitFor } from '../../fakes/wait.js';

const T0 = 1_700_000_005_000;

/** A sink with a backlog, as the MQTT sink reports it. */
const mqttLike: Sink = {
  name: 'mqtt',
  start: async () => undefined,
  write: () => undefined,
  availability: () => undefined,
  stop: async () => undefined,
  status: (): SinkStatus => ({
    connected: false,
    queued: 3,
    unit: 'readings',
    oldestAt: T0 - 60_000,
    dropped: 1,
    lastError: { message: 'connect ECONNREFUSED 127.0.0.1:1883', at: T0 - 1000 },
  }),
};

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open `/events` stream: the events seen so far, parsed. */
function events(
  port: number,
): Promise<{ seen: { event: string; data: unknown }[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const seen: { event: string; data: unknown }[] = [];
    const req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined)
            seen.push({ event, data: JSON.parse(data) });
        }
      });
      resolve({ seen, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

describe('status page over HTTP (same endpoint as /metrics)', () => {
  let clock: ManualClock;
  let status: StatusSink;
  let metrics: MetricsSink;
  let fanout: Fanout;
  let port: number;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    const { log } = memoryLogger('warn');
    const sinks: Sink[] = [mqttLike];
    status = new StatusSink({ intervalS: 10, sse: { maxClients: 2 } }, { clock, log, sinks });
    metrics = new MetricsSink(
      { host: '127.0.0.1', port: 0 },
      { clock, log, intervalS: 10, routes: [status.route] },
    );
    sinks.push(metrics, status);
    fanout = new Fanout(sinks, log);
    await fanout.start();
    port = metrics.port as number;
  });
  afterEach(async () => {
    await fanout.stop();
  });

  it('serves the page at / with a strict Content-Security-Policy', async () => {
    fanout.write(makeReading({ identity: { alias: '<script>x</script>', model: 'HS110(EU)' } }));
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page.body).toContain('12.5 W');
    expect((await get(port, '/', 'HEAD')).body).toBe('');
  });

  it('answers /api/status with the documented shape, sinks included', async () => {
    fanout.availability(makeReading().device, true);
    fanout.write(makeReading());
    fanout.poll(makeReading().device, 'PLUG_TIMEOUT', 0.5, 'no answer');
    const res = await get(port, '/api/status');
    expect(res.headers['content-type']).toBe('application/json');
    const snap = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(snap)).toEqual(['version', 'generatedAt', 'intervalS', 'devices', 'sinks']);
    expect(snap['devices']).toEqual([
      {
        id: '10.0.0.5:9999',
        name: 'fridge',
        alias: 'Fridge',
        model: 'HS110(EU)',
        transport: null,
        host: '10.0.0.5',
        port: 9999,
        outlet: null,
        outlets: null,
        online: true,
        since: new Date(T0).toISOString(),
        reading: {
          time: '2023-11-14T22:13:20.000Z',
          power: 12.5,
          energy: 1.234,
          voltage: 230.1,
          current: 0.123,
          state: 'ON',
          rssi: -60,
        },
        error: { code: 'PLUG_TIMEOUT', message: 'no answer', at: new Date(T0).toISOString() },
        polls: { ok: 0, failed: 1 },
        power: [[1_700_000_000, 12.5]],
      },
    ]);
    expect(snap['sinks']).toEqual([
      {
        name: 'mqtt',
        connected: false,
        queued: 3,
        unit: 'readings',
        oldest: new Date(T0 - 60_000).toISOString(),
        oldestAgeS: 60,
        dropped: 1,
        lastError: {
          message: 'connect ECONNREFUSED 127.0.0.1:1883',
          at: new Date(T0 - 1000).toISOString(),
        },
      },
      {
        name: 'metrics',
        connected: null,
        queued: null,
        unit: null,
        oldest: null,
        oldestAgeS: null,
        dropped: null,
        lastError: null,
      },
    ]);
  });

  it('serves its script and stylesheet, and leaves /metrics, /healthz and 404 as they were', async () => {
    const js = await get(port, '/status.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('EventSource');
    expect((await get(port, '/status.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await get(port, '/metrics')).body).toContain('kasa_');
    expect((await get(port, '/healthz')).status).toBe(200);
    expect((await get(port, '/nope')).status).toBe(404);
  });

  it('does no work for the page while nobody looks: no timer, no change tracking', () => {
    for (let i = 0; i < 100; i++) fanout.write(makeReading({ time: 1_700_000_000 + i * 10 }));
    expect(clock.pending).toBe(0);
    expect(status.board.takeChanges()).toEqual({ devices: [], removed: [] });
  });

  it('streams the snapshot, then coalesced updates, and stops when the page closes', async () => {
    fanout.write(makeReading());
    const stream = await events(port);
    await waitFor(() => stream.seen.length === 1, 5000, 'status event');
    expect(stream.seen[0]?.event).toBe('status');
    expect((stream.seen[0]?.data as { devices: unknown[] }).devices).toHaveLength(1);
    // A tick's worth of news: one update after the flush delay.
    fanout.write(makeReading({ time: 1_700_000_010, values: { power: 40 } }));
    fanout.poll(makeReading().device, undefined, 0.1);
    expect(stream.seen).toHaveLength(1);
    clock.advance(250);
    await waitFor(() => stream.seen.length === 2, 5000, 'update event');
    const update = stream.seen[1] as {
      event: string;
      data: { devices: Record<string, unknown>[]; sinks: unknown[] };
    };
    expect(update.event).toBe('update');
    expect(update.data.devices).toHaveLength(1);
    expect(update.data.devices[0]).toMatchObject({
      name: 'fridge',
      point: [1_700_000_010, 40],
      polls: { ok: 1, failed: 0 },
    });
    expect(update.data.sinks).toHaveLength(2);
    stream.close();
    await waitFor(() => status.clients === 0, 5000, 'client gone');
    fanout.write(makeReading({ time: 1_700_000_020 }));
    expect(clock.pending).toBe(0);
  });

  it('refuses live streams beyond its bound with 503', async () => {
    const a = await events(port);
    const b = await events(port);
    await waitFor(() => status.clients === 2, 5000, 'two clients');
    const third = await get(port, '/events');
    expect(third.status).toBe(503);
    a.close();
    b.close();
  });
});
