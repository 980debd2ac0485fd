import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../fakes/wait.js';

/**
 * `node dist/bin.js run` as systemd starts it with Type=notify and WatchdogSec=2: NOTIFY_SOCKET
 * points at a datagram socket bound by Python (Node cannot bind one), WATCHDOG_USEC is set. The
 * service must say READY=1 once started, ping WATCHDOG=1 while it ticks, and STOPPING=1 on
 * SIGTERM, all through the real systemd-notify. Skipped without dist/, python3 or systemd-notify.
 */

const BIN = path.resolve(import.meta.dirname, '..', '..', 'dist', 'bin.js');
const has = (cmd: string, arg: string) => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
const available =
  existsSync(BIN) && has('systemd-notify', '--version') && has('python3', '--version');

const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps('bound'), flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

describe.skipIf(!available)('kasa-collector run under systemd Type=notify', () => {
  let dir: string;
  let receiver: ChildProcess;
  const got: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-run-notify-'));
    receiver = spawn('python3', ['-c', RECEIVER, path.join(dir, 'notify')]);
    let buf = '';
    receiver.stdout?.on('data', (b: Buffer) => {
      const lines = (buf + b.toString('utf8')).split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) got.push(JSON.parse(l) as string);
    });
    await waitFor(() => got.includes('bound'), 5000, 'the notify socket');
  });

  afterAll(async () => {
    receiver?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends READY=1, watchdog pings while ticking, and STOPPING=1 on SIGTERM', async () => {
    const config = path.join(dir, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        poll: { interval: 1, timeout: 0.3 },
        devices: [{ host: '127.0.0.1', port: 9, name: 'nobody' }],
        mqtt: { enabled: false },
        emonhub: { enabled: false },
        state: { dir: path.join(dir, 'state') },
      }),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NOTIFY_SOCKET: path.join(dir, 'notify'),
      WATCHDOG_USEC: '2000000',
    };
    delete env['WATCHDOG_PID'];
    const child = spawn(process.execPath, [BIN, 'run', '--config', config], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const count = (part: string) => got.filter((m) => m.split('\n').includes(part)).length;

    await waitFor(() => count('READY=1') === 1, 10_000, 'READY=1');
    expect(got.find((m) => m.includes('READY=1'))).toMatch(/STATUS=0\/1 devices online/);
    await waitFor(() => count('WATCHDOG=1') >= 2, 10_000, 'two watchdog pings');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => count('STOPPING=1') === 1, 5000, 'STOPPING=1');
    expect(got.filter((m) => m !== 'bound' && m !== 'BARRIER=1').at(-1)).toBe(
      'STATUS=stopping\nSTOPPING=1',
    );
  });
});
