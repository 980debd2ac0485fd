/**
 * `npm run bench:status`: what the status page costs the collector. Not a test: it measures and
 * prints.
 *
 * One collector process (`node dist/bin.js run`, every sink off but `http`, so the status page
 * and `/metrics` are served) polls N simulated plugs (in this process) at a 1 s interval. Its
 * CPU time (utime + stime from /proc/<pid>/stat) and RSS are read over whole ticks in three
 * phases: the page closed; one live page open (an SSE client on `/events`, what a browser tab
 * does); closed again. The page's promise is that the closed phases cost the same as ever and
 * the open one only what the updates cost.
 *
 * Usage: npm run bench:status -- [--plugs N] [--ticks K]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFleet } from '../src/sim/fleet.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const BIN = path.join(ROOT, 'dist/bin.js');
const HZ = 100; // USER_HZ on Linux

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) and RSS (MB) of a process. */
function usage(pid: number): { cpuS: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / HZ;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuS, rssMB: rssKB / 1024 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function get(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      plugs: { type: 'string', default: '200' },
      ticks: { type: 'string', default: '30' },
    },
  });
  const plugs = Number(values.plugs);
  const ticks = Number(values.ticks);
  const fleet = await startFleet(
    Array.from({ length: plugs }, (_, i) => ({ profile: 'kp115' as const, alias: `Plug ${i}` })),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kasa-bench-status-'));
  const port = await freePort();
  const config = {
    poll: { interval: 1, timeout: 0.5, concurrency: plugs, offlineAfter: 3 },
    devices: fleet.members.map((m, i) => ({ host: m.host, port: m.port, name: `plug_${i}` })),
    mqtt: { enabled: false },
    emonhub: { enabled: false },
    http: { enabled: true, host: '127.0.0.1', port },
    state: { dir },
    log: { level: 'warn' },
  };
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [BIN, 'run', '--config', file], { stdio: 'inherit' });
  const pid = child.pid as number;
  try {
    // Warm up: every plug read a few times.
    for (let i = 0; i < 100; i++) {
      await sleep(200);
      const snap = await get(port, '/api/status').catch(() => '');
      if (snap.includes('"ok":5')) break;
    }
    const phase = async (name: string): Promise<Record<string, string | number>> => {
      const a = usage(pid);
      await sleep(ticks * 1000);
      const b = usage(pid);
      const perTickMs = ((b.cpuS - a.cpuS) / ticks) * 1000;
      return {
        phase: name,
        ticks,
        'CPU ms/tick': Math.round(perTickMs * 10) / 10,
        'RSS MB': Math.round(b.rssMB),
      };
    };
    const rows = [await phase('page closed')];
    let bytes = 0;
    let events = 0;
    const req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) =>
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        events +=
          c.toString().split('\nevent: ').length - 1 + (c.toString().startsWith('event: ') ? 1 : 0);
      }),
    );
    await sleep(2000);
    const before = bytes;
    const open = await phase('one page open (SSE)');
    open['SSE KB/tick'] = Math.round((bytes - before) / ticks / 102.4) / 10;
    rows.push(open);
    req.destroy();
    await sleep(1000);
    rows.push(await phase('page closed again'));
    console.log(
      `status page cost: ${plugs} plugs, 1 s interval, ${ticks} ticks per phase, ${events} SSE events`,
    );
    console.table(rows);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
