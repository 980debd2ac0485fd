import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { Collector } from './collector.js';
import type { Config } from './config.js';
import { EnergyTotals } from './energy/energy-totals.js';
import { EmonhubSink } from './sinks/emonhub.js';
import { Fanout } from './sinks/fanout.js';
import { MqttSink } from './sinks/mqtt.js';
import type { Sink } from './sinks/sink.js';

/**
 * Builds the sinks a config enables. Each gets only its own config slice, a child logger, and
 * `state.dir` for its persisted backlog (`mqtt-outbox.json`, `emonhub-queue.json`).
 * @param config validated config
 * @param log root logger
 * @param clock time source for pacing, retries and backlog writes
 * @returns the enabled sinks (possibly none: polling still runs and logs)
 */
export function buildSinks(config: Config, log: Logger, clock: Clock): Sink[] {
  const sinks: Sink[] = [];
  const stateDir = config.state.dir;
  if (config.mqtt.enabled) sinks.push(new MqttSink(config.mqtt, log, undefined, { stateDir }));
  if (config.emonhub.enabled) {
    sinks.push(new EmonhubSink(config.emonhub, log, clock, { stateDir }));
  }
  return sinks;
}

/**
 * The composition root of `run`: config → sinks → fan-out → collector, with the spike filter
 * (`filter`) and the lifetime energy totals (in `state.dir`). Nothing is started or read;
 * call `start()` on the result.
 * @param config validated config
 * @param log root logger
 * @param clock time source
 */
export function buildCollector(config: Config, log: Logger, clock: Clock): Collector {
  const sink = new Fanout(buildSinks(config, log, clock), log);
  const energyTotals = new EnergyTotals({
    dir: config.state.dir,
    clock,
    log: log.child({ component: 'energy-totals' }),
    maxPower: config.filter.maxPower,
  });
  return new Collector(config, {
    clock,
    log: log.child({ component: 'collector' }),
    sink,
    filter: config.filter,
    energyTotals,
  });
}
