import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Collector } from '../collector/collector.js';
import type { Config } from '../config/types.js';

/**
 * Applies a config reload (SIGHUP) to a running collector: the device list takes effect at the
 * next tick without a restart; the other slices (poll timing, MQTT, emonhub, filter, state) are
 * compared and, when they differ, named in a warning that says a restart is needed for them.
 * An invalid new config (the loader throws) is logged and the running config is kept.
 *
 * @param collector the running collector
 * @param current the config it runs with
 * @param load reads and validates the config file again; throws ConfigError when invalid
 * @param log root logger
 * @returns the config now in force (the new one, or `current` when rejected)
 */
export function reloadConfig(
  collector: Collector,
  current: Config,
  load: () => Config,
  log: Logger,
): Config {
  let next: Config;
  try {
    next = load();
  } catch (err) {
    log.error(
      { err: err instanceof Error ? err.message : String(err) },
      'config reload rejected; the running configuration is kept',
    );
    return current;
  }
  const changes = collector.setDevices(next.devices);
  const needRestart = (Object.keys(next) as (keyof Config)[]).filter(
    (k) => k !== 'devices' && !isDeepStrictEqual(next[k], current[k]),
  );
  log.info({ ...changes }, 'config reloaded: devices updated');
  if (needRestart.length > 0) {
    log.warn(
      { keys: needRestart },
      `changes to ${needRestart.join(', ')} take effect after a restart`,
    );
  }
  return { ...current, devices: next.devices };
}
