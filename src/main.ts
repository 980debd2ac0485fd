import type { Logger } from 'pino';
import { systemClock } from './clock.js';
import type { Collector } from './collector.js';
import { buildCollector } from './service.js';
import type { Config } from './config.js';

/** Exit codes of the `kasa-collector` command. */
export const ExitCode = {
  OK: 0,
  /** A runtime failure (a `poll` that failed, a crash). */
  FAILURE: 1,
  /** Bad configuration or usage. */
  CONFIG: 2,
} as const;

/**
 * Runs a collector until SIGTERM or SIGINT: the first signal stops ticking, lets in-flight polls
 * finish and the sinks flush within their bounds, then resolves; a second signal exits at once
 * with code 1.
 * @param collector built by `buildCollector` (or the demo)
 * @param log root logger
 * @returns resolves with the exit code once stopped
 */
export async function runUntilSignal(collector: Collector, log: Logger): Promise<number> {
  await collector.start();
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(ExitCode.FAILURE);
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      collector.stop().then(
        () => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve(ExitCode.OK);
        },
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve(ExitCode.FAILURE);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * `kasa-collector run`: the service.
 * @param config validated config
 * @param log root logger
 * @returns the process exit code
 */
export async function runService(config: Config, log: Logger): Promise<number> {
  const collector = buildCollector(config, log, systemClock);
  return runUntilSignal(collector, log);
}
