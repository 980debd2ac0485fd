import { describe, expect, it } from 'vitest';
import {
  NOTIFY_TIMEOUT_MS,
  STATUS_PERIOD_MS,
  SystemdNotifier,
  watchdogPeriod,
  type ExecFileFn,
} from '../../src/service/systemd-notify.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

/**
 * The sd_notify protocol through `systemd-notify`: the exact argv sequence a fake execFile sees,
 * driven by a manual clock. WATCHDOG_USEC=60000000 (WatchdogSec=60) → a ping every 30 s.
 */

type Outcome = null | (Error & { code?: unknown });

function setup(env: NodeJS.ProcessEnv, outcome: () => Outcome = () => null) {
  const clock = new ManualClock(1_700_000_000_000);
  const mem = memoryLogger();
  const calls: { file: string; args: readonly string[]; timeout: number; env: object }[] = [];
  const execFile: ExecFileFn = (file, args, options, cb) => {
    calls.push({ file, args, timeout: options.timeout, env: options.env });
    cb(outcome());
  };
  let ok = true;
  const notifier = new SystemdNotifier({
    env,
    clock,
    log: mem.log,
    execFile,
    pid: 4242,
    healthy: () => ok,
    status: () => '2/3 devices online, 10 polls ok, 1 failed',
  });
  const argv = () => calls.map((c) => c.args.join(' '));
  const setHealthy = (v: boolean) => (ok = v);
  return { clock, notifier, calls, argv, mem, setHealthy };
}

const SYSTEMD = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '60000000' };
const STATUS = '--status=2/3 devices online, 10 polls ok, 1 failed';

describe('SystemdNotifier', () => {
  it('does nothing without NOTIFY_SOCKET', () => {
    const t = setup({ WATCHDOG_USEC: '60000000' });
    expect(t.notifier.enabled).toBe(false);
    t.notifier.start();
    t.clock.advance(600_000);
    t.notifier.stop();
    expect(t.calls).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it('sends READY=1 with a status on start, through systemd-notify with a timeout', () => {
    const t = setup(SYSTEMD);
    t.notifier.start();
    t.notifier.start();
    expect(t.argv()).toEqual([`--ready ${STATUS}`]);
    expect(t.calls[0]).toMatchObject({ file: 'systemd-notify', timeout: NOTIFY_TIMEOUT_MS });
    expect(t.calls[0]?.env).toMatchObject(SYSTEMD);
  });

  it('pings WATCHDOG=1 every WATCHDOG_USEC / 2 while healthy', () => {
    const t = setup(SYSTEMD);
    expect(t.notifier.watchdogPeriodMs).toBe(30_000);
    t.notifier.start();
    t.clock.advance(29_999);
    expect(t.calls).toHaveLength(1);
    t.clock.advance(1);
    t.clock.advance(60_000);
    expect(t.argv()).toEqual([
      `--ready ${STATUS}`,
      `${STATUS} WATCHDOG=1`,
      `${STATUS} WATCHDOG=1`,
      `${STATUS} WATCHDOG=1`,
    ]);
  });

  it('withholds pings while unhealthy, says so once, and resumes when healthy again', () => {
    const t = setup(SYSTEMD);
    t.notifier.start();
    t.clock.advance(30_000);
    t.setHealthy(false);
    t.clock.advance(90_000);
    expect(t.argv()).toEqual([
      `--ready ${STATUS}`,
      `${STATUS} WATCHDOG=1`,
      '--status=stalled: no tick lately, watchdog pings withheld',
    ]);
    expect(t.mem.lines.filter((l) => l['level'] === 50)).toHaveLength(1);
    t.setHealthy(true);
    t.clock.advance(30_000);
    expect(t.argv().at(-1)).toBe(`${STATUS} WATCHDOG=1`);
    expect(t.mem.lines.some((l) => String(l['msg']).includes('pings resumed'))).toBe(true);
  });

  it('sends STOPPING=1 on stop, once, and nothing after', () => {
    const t = setup(SYSTEMD);
    t.notifier.start();
    t.clock.advance(30_000);
    t.notifier.stop();
    t.notifier.stop();
    t.clock.advance(120_000);
    expect(t.argv()).toEqual([
      `--ready ${STATUS}`,
      `${STATUS} WATCHDOG=1`,
      '--status=stopping STOPPING=1',
    ]);
    expect(t.clock.pending).toBe(0);
  });

  it('warns once and stops spawning when systemd-notify is missing', () => {
    const t = setup(SYSTEMD, () =>
      Object.assign(new Error('spawn systemd-notify ENOENT'), { code: 'ENOENT' }),
    );
    t.notifier.start();
    t.clock.advance(120_000);
    t.notifier.stop();
    expect(t.calls).toHaveLength(1);
    const warns = t.mem.lines.filter((l) => l['level'] === 40);
    expect(warns).toHaveLength(1);
    expect(String(warns[0]?.['msg'])).toContain('systemd-notify not found');
  });

  it('warns once while systemd-notify keeps failing, and keeps trying', () => {
    let fail = true;
    const t = setup(SYSTEMD, () => (fail ? Object.assign(new Error('exit 1'), { code: 1 }) : null));
    t.notifier.start();
    t.clock.advance(60_000);
    expect(t.calls).toHaveLength(3);
    expect(t.mem.lines.filter((l) => l['level'] === 40)).toHaveLength(1);
    fail = false;
    t.clock.advance(30_000);
    fail = true;
    t.clock.advance(30_000);
    expect(t.mem.lines.filter((l) => l['level'] === 40)).toHaveLength(2);
  });

  it('without a watchdog only refreshes STATUS=, every minute', () => {
    const t = setup({ NOTIFY_SOCKET: '/run/systemd/notify' });
    expect(t.notifier.watchdogPeriodMs).toBeUndefined();
    t.notifier.start();
    t.clock.advance(STATUS_PERIOD_MS);
    expect(t.argv()).toEqual([`--ready ${STATUS}`, STATUS]);
  });

  it('warns about an invalid WATCHDOG_USEC and runs without a watchdog', () => {
    const t = setup({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: 'soon' });
    t.notifier.start();
    t.clock.advance(30_000);
    expect(t.argv()).toEqual([`--ready ${STATUS}`]);
    expect(t.mem.lines.filter((l) => l['level'] === 40)).toHaveLength(1);
  });
});

describe('watchdogPeriod', () => {
  it.each([
    [{ WATCHDOG_USEC: '60000000' }, 30_000],
    [{ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '4242' }, 30_000],
    [{ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '1' }, undefined],
    [{ WATCHDOG_USEC: '1500' }, 1],
    [{}, undefined],
    [{ WATCHDOG_USEC: '0' }, 'invalid'],
    [{ WATCHDOG_USEC: '-5' }, 'invalid'],
    [{ WATCHDOG_USEC: '1e' }, 'invalid'],
  ])('%j → %s', (env, expected) => {
    expect(watchdogPeriod(env, 4242)).toBe(expected);
  });
});
