import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFile, loadError } from './helpers.js';

describe('loadConfig: the file itself', () => {
  it('names the file, line and column of malformed JSON', () => {
    const file = configFile('{\n  "poll": {\n    "interval": 10,\n  }\n}\n');
    const message = loadError({ file }, `${file}:4:3: not valid JSON`, 'trailing commas');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('never quotes the file around a syntax error (it may hold a password)', () => {
    const text = '{"mqtt": {"password": "hunter2", "qos": }}';
    const file = configFile(text);
    const column = text.indexOf('}') + 1;
    const message = loadError(
      { file },
      `${file}:1:${column}: not valid JSON (Unexpected token '}')`,
    );
    expect(message).not.toContain('hunter2');
  });

  it('reports an empty file as malformed JSON', () => {
    const file = configFile('');
    loadError({ file }, `${file}:1:1: not valid JSON (Unexpected end of JSON input)`);
  });

  it('names a missing file, its errno and the fix', () => {
    const file = join(configFile('{}'), '..', 'missing.json');
    loadError({ file }, `${file}: cannot read the configuration file (ENOENT`, '--config');
  });

  it('names a directory given as the file', () => {
    const file = join(configFile('{}'), '..');
    loadError({ file }, `${file}: cannot read the configuration file (EISDIR`);
  });

  it.skipIf(process.getuid?.() === 0)(
    'names an unreadable file and says to fix permissions',
    () => {
      const file = configFile('{}');
      chmodSync(file, 0o000);
      loadError({ file }, `${file}: cannot read the configuration file (EACCES`, 'readable');
    },
  );

  it('rejects a file whose top level is not an object', () => {
    const file = configFile('[{"host": "192.0.2.10"}]');
    loadError({ file }, `${file}: must hold a JSON object`, 'got an array');
  });
});
