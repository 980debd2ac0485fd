import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { Collector } from './collector/collector.js';
import { PolledDevice } from './collector/polled-device.js';
import { accountFor } from './config/kasa-account.js';
import type { Config, HomeAssistantConfig, MqttConfig } from './config/types.js';
import { EnergyTotals } from './energy/totals.js';
import { hasQueueStats, MetricsSink } from './sinks/prometheus/sink.js';
import { EmonhubSink } from './sinks/emonhub/sink.js';
import { Fanout } from './sinks/fanout.js';
import { StatusSink } from './sinks/status/sink.js';
import { HaDiscovery } from './sinks/homeassistant/extension.js';
import type { ExtensionFactory, MqttExtension } from './sinks/mqtt/extension.js';
import { MqttRelayCommands } from './sinks/mqtt/relay-commands.js';
import { MqttSink } from './sinks/mqtt/sink.js';
import type { RelayCommandHandler, Sink } from './sinks/sink.js';
import { runUntilSignal } from './service/signals.js';
import { cadence, nominalIntervalS, tickPattern } from './config/tick-pattern.js';
import { capacityWarning } from './sinks/emonhub/capacity.js';

/** What the MQTT sink's extensions need beyond the `mqtt` slice; each is off when absent. */
export interface MqttExtensionOptions {
  /** The `homeassistant` slice; discovery runs when `enabled` and `mqtt.format` is `default`. */
  homeassistant?: HomeAssistantConfig;
  /** Where relay commands go; absent: `<p>/+/set` is not subscribed. */
  onRelayCommand?: RelayCommandHandler | undefined;
  /** For the discovery origin; default: package.json's version. */
  version?: string;
}

/** package.json's version (`src/` and `dist/` are both one level down). */
function packageVersion(): string {
  const url = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/**
 * The MQTT sink's extensions a config enables, in hook order: Home Assistant discovery, then
 * relay commands.
 * @param config the `mqtt` slice (prefix, format)
 * @param options the HA slice, the command handler, the version
 * @returns the factory the sink calls with its publish-if-connected and logger
 */
export function mqttExtensions(
  config: Pick<MqttConfig, 'topicPrefix' | 'format'>,
  options: MqttExtensionOptions,
): ExtensionFactory {
  return (publish, log, clock) => {
    const out: MqttExtension[] = [];
    const ha = options.homeassistant;
    if (ha?.enabled === true && config.format === 'tasmota') {
      log.warn('homeassistant discovery is not published with mqtt.format "tasmota"');
    } else if (ha?.enabled === true) {
      const version = options.version ?? packageVersion();
      const ctx = { haPrefix: ha.prefix, topicPrefix: config.topicPrefix, version };
      out.push(new HaDiscovery(ctx, publish, log, clock));
    }
    if (options.onRelayCommand !== undefined) {
      out.push(new MqttRelayCommands(config.topicPrefix, options.onRelayCommand, log, clock));
    }
    return out;
  };
}

/**
 * Builds the sinks a config enables. Each gets only its own config slice, a child logger, and
 * `state.dir` for its persisted backlog (`mqtt-outbox.json`, `emonhub-queue.json`).
 * @param config validated config
 * @param log root logger
 * @param clock time source for pacing, retries and backlog writes
 * @param onRelayCommand where the MQTT sink sends relay commands (`<p>/<name>/set`); absent: none
 * @returns the enabled sinks (possibly none: polling still runs and logs); with `http.enabled`
 *   the metrics sink, which reports the backlogs of the others, then the status page, which
 *   its endpoint serves
 */
export function buildSinks(
  config: Config,
  log: Logger,
  clock: Clock,
  onRelayCommand?: RelayCommandHandler,
): Sink[] {
  const sinks: Sink[] = [];
  const stateDir = config.state.dir;
  if (config.mqtt.enabled) {
    const extensions = mqttExtensions(config.mqtt, {
      homeassistant: config.homeassistant,
      onRelayCommand,
    });
    sinks.push(new MqttSink(config.mqtt, { log, clock, stateDir, extensions }));
  }
  if (config.emonhub.enabled) {
    sinks.push(new EmonhubSink(config.emonhub, { log, clock, stateDir }));
  }
  if (config.http.enabled) {
    const intervalS = nominalIntervalS(config.poll, clock.now());
    // The status page shows every sink, these two included; it is served by the metrics endpoint.
    const status = new StatusSink({ intervalS }, { clock, log, sinks });
    const backlogs = sinks.filter(hasQueueStats);
    const routes = [status.route];
    sinks.push(new MetricsSink(config.http, { log, clock, intervalS, sinks: backlogs, routes }));
    sinks.push(status);
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
  const onRelayCommand: RelayCommandHandler = (command) => void collector.relayCommand(command);
  const sinks = buildSinks(config, log, clock, onRelayCommand);
  const sink = new Fanout(sinks, log);
  const energyTotals = new EnergyTotals({
    dir: config.state.dir,
    clock,
    log: log.child({ component: 'energy-totals' }),
    maxPower: config.filter.maxPower,
    minStepS: cadence(tickPattern(config.poll), clock.now()).minS,
  });
  const deviceLog = log.child({ component: 'plugs' });
  const collector = new Collector(config, {
    clock,
    // Each plug's account (kasa.* or its own) is read when it is built (SIGHUP included).
    makeDevice: (dc, offlineAfter) => {
      let account: ReturnType<typeof accountFor>;
      try {
        account = accountFor(config.kasa, dc);
      } catch (err) {
        // The file was checked at load time; gone since: the plug tries the default accounts.
        deviceLog.error({ host: dc.host, err: (err as Error).message }, 'TP-Link account not read');
      }
      return new PolledDevice(dc, offlineAfter, undefined, clock, {
        ...(account === undefined ? {} : { account }),
        log: deviceLog,
      });
    },
    log: log.child({ component: 'collector' }),
    sink,
    filter: config.filter,
    energyTotals,
    observer: sink,
  });
  return collector;
}

/**
 * What a valid config may still get wrong at run time, one sentence each: `check-config`
 * prints them, `run` logs them. Today: emonhub nodes that need more frames a second than
 * emonhub's socket interfacer takes (`sinks/emonhub/capacity.ts`).
 * @param config validated config
 * @param nowMs ms since the epoch: where `poll.cron`'s gaps are measured from
 */
export function configWarnings(config: Config, nowMs: number): string[] {
  const minGapS = cadence(tickPattern(config.poll), nowMs).minS;
  const emonhub = capacityWarning(config.emonhub, config.devices, minGapS);
  return emonhub === undefined ? [] : [emonhub];
}

/**
 * `kasa-collector run`: the service.
 * @param config validated config
 * @param log root logger
 * @param reload re-reads the config file on SIGHUP (absent: SIGHUP only logs)
 * @returns the process exit code
 */
export async function runService(
  config: Config,
  log: Logger,
  reload?: () => Config,
): Promise<number> {
  for (const warning of configWarnings(config, systemClock.now())) log.warn(warning);
  const collector = buildCollector(config, log, systemClock);
  return runUntilSignal(collector, log, { reload, current: config });
}
