import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** A pino logger writing JSON lines into memory; `lines` holds the parsed records. */
export function memoryLogger(level = 'debug'): {
  log: Logger;
  lines: Record<string, unknown>[];
  text: () => string;
} {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      raw.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = pino({ level }, stream);
  return {
    log,
    get lines() {
      return raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}
