import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { Collector } from './collector.js';
import type { Config } from './config.js';
import { EmonhubSink } from './sinks/emonhub.js';
import { Fanout } from './sinks/fanout.js';
import { MqttSink } from './sinks/mqtt.js';
import type { Sink } from './sinks/sink.js';

/**
 * Builds the sinks a config enables. Each gets only its own config slice and a child logger.
 * @param config validated config
 * @param log root logger
 * @param clock time source for pacing and retries
 * @returns the enabled sinks (possibly none: polling still runs and logs)
 */
export function buildSinks(config: Config, log: Logger, clock: Clock): Sink[] {
  const sinks: Sink[] = [];
  if (config.mqtt.enabled) sinks.push(new MqttSink(config.mqtt, log));
  if (config.emonhub.enabled) {
    sinks.push(new EmonhubSink(config.emonhub, log, clock));
  }
  return sinks;
}

/**
 * The composition root of `run`: config → sinks → fan-out → collector. Nothing is started;
 * call `start()` on the result.
 * @param config validated config
 * @param log root logger
 * @param clock time source
 */
export function buildCollector(config: Config, log: Logger, clock: Clock): Collector {
  const sink = new Fanout(buildSinks(config, log, clock), log);
  return new Collector(config, { clock, log: log.child({ component: 'collector' }), sink });
}
