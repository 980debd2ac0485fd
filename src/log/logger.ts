import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import type PinoPrettyModule from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach the output, at the depths loggers put them: a bare
 * `{password}`, one level down (`{mqtt: {password}}`), two (`{config: {mqtt: {password}}}`).
 * A password inside a URL's userinfo is the caller's job (`redactConfig`).
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'mqtt.password',
  'config.mqtt.password',
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written; `silent` writes nothing. */
  level: LevelWithSilent;
  /** Where lines go; default stdout, written synchronously so nothing is lost at exit. */
  destination?: NodeJS.WritableStream | DestinationStream;
  /**
   * Human-readable lines instead of JSON; the CLI sets it from `process.stdout.isTTY`, so
   * journald and log shippers get JSON while a terminal gets colours.
   */
  pretty?: boolean;
}

/**
 * pino-pretty run in-process and synchronously, line by line: a worker-thread transport would
 * lose the last lines when the process exits on a fatal error, and needs its own file to load.
 * It is loaded only for a terminal (a CommonJS package: a synchronous `require`), so a service
 * logging JSON to journald never loads it.
 */
function prettyStream(out: NodeJS.WritableStream | DestinationStream): DestinationStream {
  const PinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPrettyModule;
  const format = PinoPretty.prettyFactory({
    colorize: PinoPretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
  });
  return { write: (line: string) => void out.write(format(line)) };
}

/**
 * The process's root logger. Components get `log.child({plug})`, `log.child({sink: 'mqtt'})`.
 * JSON lines carry `level` (pino number), `time` (ISO 8601), `name: "kasa-collector"`, `msg`
 * and the logged fields; `password` keys (see {@link REDACT_PATHS}) read `"[redacted]"`.
 * @param opts level, destination and format
 * @returns a pino logger; it never throws on write
 */
export function createLogger(opts: LoggerOptions): Logger {
  const out = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      name: 'kasa-collector',
      level: opts.level,
      base: {},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    opts.pretty === true ? prettyStream(out) : (out as DestinationStream),
  );
}
