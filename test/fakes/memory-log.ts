import pino, { type Logger } from 'pino';

/** One log record as pino writes it. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * The one capturing logger of the test suite: a pino logger whose records land in `lines` as
 * plain objects the moment they are logged (pino writes to the destination synchronously), so
 * tests assert on what was logged the way pino's own tests do.
 * @param level lowest level recorded; default `debug`
 * @returns the logger, its records, their raw JSON text one per entry, and that text joined
 */
export function memoryLogger(level = 'debug'): {
  log: Logger;
  lines: LogLine[];
  raw: string[];
  text: () => string;
} {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const log = pino(
    { level },
    {
      write(s: string) {
        raw.push(s);
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  );
  return { log, lines, raw, text: () => raw.join('') };
}
