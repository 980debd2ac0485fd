import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';

/** A logger writing into an array of raw chunks. */
function capture(level: Parameters<typeof createLogger>[0]['level'] = 'info', pretty = false) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level, destination, pretty });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, chunks, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with name, level, time and message', () => {
    const { log, lines } = capture();
    log.child({ plug: 'fridge' }).warn({ code: 'PLUG_TIMEOUT' }, 'poll failed');
    expect(lines()).toEqual([
      expect.objectContaining({
        name: 'kasa-collector',
        level: 40,
        plug: 'fridge',
        code: 'PLUG_TIMEOUT',
        msg: 'poll failed',
      }),
    ]);
    expect(typeof lines()[0]?.['time']).toBe('string');
  });

  it('redacts passwords at every depth and never writes the secret', () => {
    const { log, chunks, lines } = capture();
    log.info(
      { config: { mqtt: { password: 'hunter2', url: 'mqtt://192.0.2.1' } } },
      'effective config',
    );
    log.info({ mqtt: { password: 'hunter2' } }, 'mqtt slice');
    log.info({ password: 'hunter2' }, 'bare');
    const [deep, slice, bare] = lines();
    expect(deep?.['config']).toEqual({ mqtt: { password: '[redacted]', url: 'mqtt://192.0.2.1' } });
    expect(slice?.['mqtt']).toEqual({ password: '[redacted]' });
    expect(bare?.['password']).toBe('[redacted]');
    expect(chunks.join('')).not.toContain('hunter2');
  });

  it('drops lines below the level', () => {
    const { log, lines } = capture('warn');
    log.info('quiet');
    log.error('loud');
    expect(lines().map((l) => l['msg'])).toEqual(['loud']);
  });

  it('writes nothing when silent', () => {
    const { log, chunks } = capture('silent');
    log.fatal('gone');
    expect(chunks).toEqual([]);
  });

  it('writes human-readable lines synchronously when pretty, still redacted', () => {
    const { log, chunks } = capture('info', true);
    log.info({ mqtt: { password: 'hunter2' } }, 'connected');
    const text = chunks.join('');
    expect(text).toMatch(/INFO.*connected/);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('hunter2');
    expect(() => JSON.parse(text)).toThrow();
  });
});
