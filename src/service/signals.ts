import type { Logger } from 'pino';
import type { Collector } from '../collector/collector.js';
import type { Config } from '../config/types.js';
import { reloadConfig } from './reload.js';
import { collectorNotifier } from './collector-notifier.js';
import { systemClock } from '../clock.js';
import { nominalIntervalS } from '../config/tick-pattern.js';

/** Exit codes of the `kasa-collector` command. */
export const ExitCode = {
  OK: 0,
  /** A runtime failure (a `poll` that failed, a crash, a shutdown that overran). */
  FAILURE: 1,
  /** Bad configuration or usage. */
  CONFIG: 2,
} as const;

/** How long a graceful stop may take before the process gives up on it, ms (systemd waits 10 s). */
export const STOP_DEADLINE_MS = 4500;

/** Process-level hooks of {@link runUntilSignal}. */
export interface SignalOptions {
  /** Reads the config again on SIGHUP; throws ConfigError when the new one is invalid. */
  reload?: () => Config;
  /** The config the collector runs with now (compared on reload). */
  current?: Config;
  /** Exits the process (injectable for tests); default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * Runs a collector until SIGTERM or SIGINT. The first signal stops ticking, lets in-flight polls
 * finish (bounded by `poll.timeout`) and the sinks flush and persist within their bounds, then
 * resolves with 0; if that overruns {@link STOP_DEADLINE_MS} the process exits with 1. A second
 * signal exits at once with 1. SIGHUP reloads the config (see `reload.ts`); an invalid new config
 * is logged and the running one kept.
 * @param collector built by `buildCollector` (or the demo)
 * @param log root logger
 * @param opts reload hook and exit function
 * @returns resolves with the exit code once stopped
 */
export async function runUntilSignal(
  collector: Collector,
  log: Logger,
  opts: SignalOptions = {},
): Promise<number> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let current = opts.current;
  await collector.start();
  // READY=1, STATUS= and watchdog pings under systemd (Type=notify); a no-op elsewhere.
  const intervalS =
    opts.current === undefined ? undefined : nominalIntervalS(opts.current.poll, systemClock.now());
  const notifier = collectorNotifier(collector, log, intervalS);
  notifier.start();
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onHup = (): void => {
      if (!opts.reload || !current || stopping) {
        log.warn('SIGHUP: nothing to reload (no config file)');
        return;
      }
      current = reloadConfig(collector, current, opts.reload, log);
    };
    const detach = (): void => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
    };
    const onStop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting at once');
        exit(ExitCode.FAILURE);
        return;
      }
      stopping = true;
      notifier.stop();
      log.info({ signal }, 'stopping');
      const overrun = setTimeout(() => {
        log.error({ deadlineMs: STOP_DEADLINE_MS }, 'shutdown overran its deadline: exiting');
        exit(ExitCode.FAILURE);
      }, STOP_DEADLINE_MS);
      overrun.unref();
      collector.stop().then(
        () => {
          clearTimeout(overrun);
          detach();
          resolve(ExitCode.OK);
        },
        (err: unknown) => {
          clearTimeout(overrun);
          detach();
          log.error({ err }, 'error while stopping');
          resolve(ExitCode.FAILURE);
        },
      );
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
  });
}
