import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdNotifier, type ExecFileFn } from '../../src/service/systemd-notify.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { waitFor } from '../fakes/wait.js';

/**
 * The argv we build, fed to the real `systemd-notify` (systemd 246+ on Raspberry Pi OS / Debian)
 * with a stand-in for PID 1's notify socket: a datagram socket bound by Python, since Node cannot
 * bind one. Proves the binary accepts our arguments and what systemd would receive. Skipped when
 * systemd-notify or python3 is missing.
 */

const has = (cmd: string, arg: string) => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
const available = has('systemd-notify', '--version') && has('python3', '--version');

// Prints each datagram as one JSON string per line. recv() without an ancillary buffer drops
// the fd of systemd-notify's BARRIER=1, which releases it just as PID 1 would.
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('bound', flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

describe.skipIf(!available)('systemd-notify, the real binary', () => {
  let dir: string;
  let receiver: ChildProcess;
  const got: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-notify-'));
    receiver = spawn('python3', ['-c', RECEIVER, path.join(dir, 'notify')]);
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      receiver.once('error', reject);
      receiver.stdout?.on('data', (b: Buffer) => {
        buf += b.toString('utf8');
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) {
          if (l === 'bound') resolve();
          else got.push(JSON.parse(l) as string);
        }
      });
    });
  });

  afterAll(async () => {
    receiver?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers READY, STATUS, WATCHDOG and STOPPING', async () => {
    const clock = new ManualClock(0);
    const mem = memoryLogger();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NOTIFY_SOCKET: path.join(dir, 'notify'),
      WATCHDOG_USEC: '2000',
    };
    delete env['WATCHDOG_PID'];
    let exited = 0;
    const counted: ExecFileFn = (file, args, opts, cb) =>
      execFile(file, [...args], opts, (err) => {
        exited++;
        cb(err);
      });
    const notifier = new SystemdNotifier({
      execFile: counted,
      env,
      clock,
      log: mem.log,
      healthy: () => true,
      status: () => '1/1 devices online, 5 polls ok, 0 failed',
    });
    notifier.start();
    clock.advance(1);
    notifier.stop();
    const want = [
      'READY=1\nSTATUS=1/1 devices online, 5 polls ok, 0 failed',
      'STATUS=1/1 devices online, 5 polls ok, 0 failed\nWATCHDOG=1',
      'STATUS=stopping\nSTOPPING=1',
    ];
    const messages = () => got.filter((m) => m !== 'BARRIER=1');
    await waitFor(
      () => messages().length >= want.length && exited >= 3,
      10_000,
      'three datagrams and three exits',
    );
    // Three processes run concurrently, so arrival order is not guaranteed.
    expect(messages().sort()).toEqual([...want].sort());
    expect(exited).toBe(3);
    expect(mem.lines.filter((l) => Number(l['level']) >= 40)).toEqual([]);
  });
});
