import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { Collector } from './collector.js';
import type { Config } from './config.js';
import { EnergyTotals } from './energy/energy-totals.js';
import { hasQueueStats, MetricsSink } from './metrics/metrics-sink.js';
import { EmonhubSink } from './sinks/emonhub.js';
import { Fanout } from './sinks/fanout.js';
import { MqttSink } from './sinks/mqtt.js';
import type { Sink } from './sinks/sink.js';
import type { CommandHandler } from './sinks/mqtt-commands.js';

/**
 * Builds the sinks a config enables. Each gets only its own config slice, a child logger, and
 * `state.dir` for its persisted backlog (`mqtt-outbox.json`, `emonhub-queue.json`).
 * @param config validated config
 * @param log root logger
 * @param clock time source for pacing, retries and backlog writes
 * @param onCommand where the MQTT sink sends relay commands (`<p>/<name>/set`); absent: none
 * @returns the enabled sinks (possibly none: polling still runs and logs); the metrics sink
 *   (`http.enabled`) comes last and reports the backlogs of the others
 */
export function buildSinks(
  config: Config,
  log: Logger,
  clock: Clock,
  onCommand?: CommandHandler,
): Sink[] {
  const sinks: Sink[] = [];
  const stateDir = config.state.dir;
  if (config.mqtt.enabled) {
    const { homeassistant } = config;
    const options = { stateDir, homeassistant, ...(onCommand && { onCommand }) };
    sinks.push(new MqttSink(config.mqtt, log, undefined, options));
  }
  if (config.emonhub.enabled) {
    sinks.push(new EmonhubSink(config.emonhub, log, clock, { stateDir }));
  }
  if (config.http.enabled) {
    const options = { ...config.http, intervalS: config.poll.interval };
    sinks.push(new MetricsSink(options, { clock, log, sinks: sinks.filter(hasQueueStats) }));
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
  // Commands arrive only once the sink is connected, after `collector` below is initialized.
  const onCommand: CommandHandler = (name, action) => void collector.command(name, action);
  const sinks = buildSinks(config, log, clock, onCommand);
  const sink = new Fanout(sinks, log);
  const energyTotals = new EnergyTotals({
    dir: config.state.dir,
    clock,
    log: log.child({ component: 'energy-totals' }),
    maxPower: config.filter.maxPower,
  });
  const collector = new Collector(config, {
    clock,
    log: log.child({ component: 'collector' }),
    sink,
    filter: config.filter,
    energyTotals,
    observer: sinks.find((s) => s instanceof MetricsSink),
  });
  return collector;
}
