import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/config/load.js';
import { buildCollector } from '../../src/main.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { waitFor } from '../fakes/wait.js';

/**
 * IPv6 loopback end to end: a plug, emonhub and the metrics endpoint all at `::1`, written as
 * `check-config` accepts it (without brackets; `[::1]` is refused there, as it would not
 * resolve at run time).
 */

/** Whether this machine has an IPv6 loopback to bind. */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

/** A listener on `::1` that keeps what each connection sent (emonhub's socket interfacer). */
async function listen(): Promise<{ server: net.Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', (d) => {
      received.push(d.toString('latin1'));
      s.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, received };
}

const ipv6 = await hasIpv6Loopback();
if (!ipv6) console.warn('skipping the IPv6 loopback test: this machine cannot bind ::1');

describe.skipIf(!ipv6)('IPv6 loopback (::1) end to end', () => {
  let plug: SimulatedPlug;
  let emonhub: Awaited<ReturnType<typeof listen>>;
  let collector: Collector;
  let httpPort: number;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kasa-v6-'));

  beforeAll(async () => {
    plug = new SimulatedPlug({ profile: 'kp115', alias: 'Desk', host: '::1' });
    await plug.start();
    emonhub = await listen();
    const probe = await listen(); // a free port on ::1 for the metrics endpoint
    httpPort = probe.port;
    await new Promise((r) => probe.server.close(r));
    const config = loadConfig({
      env: {},
      overrides: {
        poll: { interval: 1, timeout: 0.5 },
        devices: [{ host: '::1', port: plug.port, name: 'desk', node: 40 }],
        mqtt: { enabled: false },
        emonhub: { enabled: true, host: '::1', port: emonhub.port },
        http: { enabled: true, host: '::1', port: httpPort },
        state: { dir: stateDir },
      },
    });
    collector = buildCollector(config, memoryLogger('silent').log, systemClock);
    await collector.start();
  }, 20_000);

  afterAll(async () => {
    await collector?.stop();
    await plug?.stop();
    await new Promise((r) => emonhub?.server.close(r));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('polls the plug, sends its frame to emonhub and serves /metrics, all on ::1', async () => {
    await waitFor(() => emonhub.received.length > 0, 10_000, 'an emonhub frame');
    expect(emonhub.received[0]).toMatch(/^\d+ 40 [\d.]+ /);
    const res = await fetch(`http://[::1]:${httpPort}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/kasa_power_watts\{device="desk",outlet=""\} [\d.]+/);
    expect(collector.stats.pollsOk).toBeGreaterThan(0);
  });
});
