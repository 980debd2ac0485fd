import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * deploy/kasa-collector.service, parsed the way systemd reads it (sections, `Key=value`, a key may
 * repeat): the settings the service relies on, and hardening that must not break Node.
 */

const UNIT = path.resolve(import.meta.dirname, '..', '..', 'deploy', 'kasa-collector.service');

function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unparsable unit line: ${raw}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'));
const service = unit.get('Service') ?? new Map<string, string[]>();
const one = (key: string) => {
  const values = service.get(key) ?? [];
  expect(values, key).toHaveLength(1);
  return values[0];
};

describe('deploy/kasa-collector.service', () => {
  it('is a notify service with a watchdog the collector can reach', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('all');
    expect(Number(one('WatchdogSec'))).toBe(60);
  });

  it('restarts on failure, but not on a bad config (exit 2)', () => {
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')).toBe('2');
  });

  it('reloads with SIGHUP and runs the built app as its own user', () => {
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/kasa-collector/dist/bin.js run');
    expect(one('User')).toBe('kasa-collector');
    expect(one('Group')).toBe('kasa-collector');
    expect(service.get('Environment')).toContain(
      'KASA_COLLECTOR_CONFIG=/etc/kasa-collector/config.json',
    );
    expect(one('EnvironmentFile')).toBe('-/etc/kasa-collector/env');
  });

  it('keeps state in /var/lib/kasa-collector (STATE_DIRECTORY) under a read-only system', () => {
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('StateDirectory')).toBe('kasa-collector');
    expect(one('WorkingDirectory')).toBe('/var/lib/kasa-collector');
  });

  it('leaves V8 its JIT and systemd-notify its socket', () => {
    expect(one('MemoryDenyWriteExecute')).toBe('no');
    expect(one('RestrictAddressFamilies')?.split(/\s+/)).toContain('AF_UNIX');
    for (const key of ['NoExecPaths', 'InaccessiblePaths', 'SystemCallFilter', 'ExecPaths']) {
      expect(service.has(key), key).toBe(false);
    }
  });

  it('is enabled for the default boot target', () => {
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
  // Only complaints about the file's own lines count: a missing /usr/bin/node or user on the
  // test machine is not a defect of the unit.
  it.skipIf(!analyze)('has no line systemd-analyze verify rejects', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    const own = r.stderr.split('\n').filter((l) => /kasa-collector\.service:\d+:/.test(l));
    expect(own).toEqual([]);
  });
});
