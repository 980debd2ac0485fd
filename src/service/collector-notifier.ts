import type { Logger } from 'pino';
import { systemClock } from '../clock.js';
import { SystemdNotifier, watchdogPeriod, type NotifierDeps } from './systemd-notify.js';

/**
 * What "healthy" means for the systemd watchdog of `kasa-collector run`, and the STATUS= line:
 * the collector-specific half of the notifier, so `systemd-notify.ts` stays about the protocol.
 */

/** The parts of a `Collector` the notifier reads (structural, so tests can pass a stub). */
export interface CollectorView {
  readonly stats: {
    readonly ticks: number;
    readonly pollsOk: number;
    readonly pollsFailed: number;
  };
  readonly devices: readonly { readonly availability: { readonly online: boolean | undefined } }[];
}

/**
 * A `healthy()` that is true while `stats.ticks` keeps moving: the last change seen is at most
 * `maxSilenceMs` old. Changes are only seen when it is asked (each watchdog period), so the
 * window should be two intervals plus one period, or a slow interval would look stalled.
 * `now` should be monotonic: a Pi has no RTC, and NTP stepping the wall clock by hours at boot
 * must not read as a stall.
 * @param stats the collector's counters
 * @param now monotonic time, ms
 * @param maxSilenceMs longest time without a new tick that still counts as healthy
 * @returns the health callback; the silence is counted from its creation
 */
export function ticksProgressing(
  stats: CollectorView['stats'],
  now: () => number,
  maxSilenceMs: number,
): () => boolean {
  let seen = stats.ticks;
  let at = now();
  return () => {
    const t = now();
    if (stats.ticks !== seen) [seen, at] = [stats.ticks, t];
    return t - at <= maxSilenceMs;
  };
}

/**
 * The STATUS= line, e.g. `3/4 devices online, 1200 polls ok, 7 failed`.
 * @param collector the running collector
 * @returns one short line
 */
export function collectorStatus(collector: CollectorView): string {
  const online = collector.devices.filter((d) => d.availability.online === true).length;
  const { pollsOk, pollsFailed } = collector.stats;
  return `${online}/${collector.devices.length} devices online, ${pollsOk} polls ok, ${pollsFailed} failed`;
}

/**
 * The notifier of `kasa-collector run`: healthy while ticks arrive within two poll intervals
 * (plus one watchdog period, see {@link ticksProgressing}); the status from the collector.
 * @param collector the started collector
 * @param log root logger (a child with `component: 'systemd'` is used)
 * @param intervalS the nominal interval (`poll.interval`, or the longest gap between the runs
 *   of `poll.cron`: `nominalIntervalS()`); undefined (the demo): ticks are not watched
 * @param inject environment, clock, spawn function and PID (default: the real ones); the health
 *   check measures silence on the clock's monotonic time
 * @returns a notifier; call `start()` now and `stop()` on shutdown
 */
export function collectorNotifier(
  collector: CollectorView,
  log: Logger,
  intervalS: number | undefined,
  inject: Partial<Pick<NotifierDeps, 'env' | 'clock' | 'execFile' | 'pid'>> = {},
): SystemdNotifier {
  const { env = process.env, clock = systemClock, pid = process.pid } = inject;
  const period = watchdogPeriod(env, pid);
  const slack = typeof period === 'number' ? period : 0;
  const now = (): number => clock.monotonic();
  const healthy =
    intervalS === undefined
      ? () => true
      : ticksProgressing(collector.stats, now, 2 * intervalS * 1000 + slack);
  return new SystemdNotifier({
    ...inject,
    env,
    clock,
    pid,
    log: log.child({ component: 'systemd' }),
    healthy,
    status: () => collectorStatus(collector),
  });
}
