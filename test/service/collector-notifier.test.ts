import { describe, expect, it } from 'vitest';
import {
  collectorNotifier,
  collectorStatus,
  ticksProgressing,
  type CollectorView,
} from '../../src/service/collector-notifier.js';
import type { ExecFileFn } from '../../src/service/systemd-notify.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';

/**
 * The watchdog's idea of health for `kasa-collector run`: pings only while the collector's ticks
 * arrive; a scheduler that stops ticking loses its pings, so systemd restarts the service.
 */

interface Stub extends CollectorView {
  stats: { ticks: number; pollsOk: number; pollsFailed: number };
}

const stub = (online: (boolean | undefined)[]): Stub => ({
  stats: { ticks: 0, pollsOk: 0, pollsFailed: 0 },
  devices: online.map((o) => ({ availability: { online: o } })),
});

describe('collectorStatus', () => {
  it('counts devices online and polls', () => {
    const c = stub([true, false, undefined, true]);
    c.stats.pollsOk = 120;
    c.stats.pollsFailed = 7;
    expect(collectorStatus(c)).toBe('2/4 devices online, 120 polls ok, 7 failed');
  });
});

describe('ticksProgressing', () => {
  it('is healthy while ticks change within the window, counted from creation', () => {
    const clock = new ManualClock(0);
    const c = stub([]);
    const healthy = ticksProgressing(c.stats, () => clock.now(), 50_000);
    clock.advance(50_000);
    expect(healthy()).toBe(true);
    clock.advance(1);
    expect(healthy()).toBe(false);
    c.stats.ticks++;
    expect(healthy()).toBe(true);
    clock.advance(50_000);
    expect(healthy()).toBe(true);
    clock.advance(1);
    expect(healthy()).toBe(false);
  });
});

describe('collectorNotifier', () => {
  const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '60000000' };

  it('pings while the collector ticks and withholds pings once it stops', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const c = stub([true, undefined]);
    const argv: string[] = [];
    const execFile: ExecFileFn = (_file, args, _opts, cb) => {
      argv.push(args.join(' '));
      cb(null);
    };
    const { log } = memoryLogger();
    // interval 10 s: healthy while the last tick seen is at most 2 × 10 s + 30 s old.
    const notifier = collectorNotifier(c, log, 10, { env, clock, execFile, pid: 1 });
    const tickEvery10s = (ms: number) => {
      for (let t = 0; t < ms; t += 10_000) {
        c.stats.ticks++;
        c.stats.pollsOk++;
        clock.advance(10_000);
      }
    };
    notifier.start();
    tickEvery10s(60_000);
    clock.advance(60_000); // the scheduler wedges: no more ticks
    notifier.stop();
    expect(argv).toEqual([
      '--ready --status=1/2 devices online, 0 polls ok, 0 failed',
      '--status=1/2 devices online, 3 polls ok, 0 failed WATCHDOG=1',
      '--status=1/2 devices online, 6 polls ok, 0 failed WATCHDOG=1',
      '--status=1/2 devices online, 6 polls ok, 0 failed WATCHDOG=1',
      '--status=stalled: no tick lately, watchdog pings withheld',
      '--status=stopping STOPPING=1',
    ]);
  });

  it('measures silence on monotonic time: a wall-clock step is neither a stall nor a tick', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const c = stub([true]);
    const argv: string[] = [];
    const execFile: ExecFileFn = (_file, args, _opts, cb) => {
      argv.push(args.join(' '));
      cb(null);
    };
    const notifier = collectorNotifier(c, memoryLogger().log, 10, {
      env,
      clock,
      execFile,
      pid: 1,
    });
    notifier.start();
    for (let t = 0; t < 120_000; t += 10_000) {
      if (t === 40_000) clock.stepWall(3_600_000); // NTP at boot: an hour forward
      if (t === 80_000) clock.stepWall(-7_200_000);
      c.stats.ticks++;
      clock.advance(10_000);
    }
    notifier.stop();
    const pings = argv.filter((a) => a.endsWith('WATCHDOG=1'));
    expect(pings).toHaveLength(4);
    expect(argv.filter((a) => a.includes('stalled'))).toEqual([]);
  });

  it('does not watch ticks without an interval (the demo)', () => {
    const clock = new ManualClock(0);
    const argv: string[] = [];
    const execFile: ExecFileFn = (_f, args, _o, cb) => {
      argv.push(args.join(' '));
      cb(null);
    };
    const notifier = collectorNotifier(stub([]), memoryLogger().log, undefined, {
      env,
      clock,
      execFile,
    });
    notifier.start();
    clock.advance(300_000);
    expect(argv.filter((a) => a.endsWith('WATCHDOG=1'))).toHaveLength(10);
  });
});
