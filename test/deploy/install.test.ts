import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * deploy/install.sh in its `--root DIR` dry-run mode on the built dist/: the tree it creates, that
 * a second run keeps the user's config, and that nothing touching the real system (useradd,
 * chown, systemctl) runs. `npm` is a fake on PATH that records its argv and links the checkout's
 * node_modules, so the script's own `check-config` really loads the installed app.
 */

const REPO = path.resolve(import.meta.dirname, '..', '..');
const SCRIPT = path.join(REPO, 'deploy', 'install.sh');
const built = existsSync(path.join(REPO, 'dist', 'bin.js'));

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe.skipIf(!built)('deploy/install.sh --root', () => {
  let tmp: string;
  let bin: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kasa-install-'));
    bin = path.join(tmp, 'bin');
    await mkdir(bin);
    const npm = path.join(bin, 'npm');
    writeFileSync(
      npm,
      [
        '#!/bin/sh',
        '[ "$1" = --version ] && { echo 10.0.0-fake; exit 0; }',
        `echo "$PWD: $*" >> "${path.join(tmp, 'npm.log')}"`,
        `rm -rf node_modules && ln -s "${path.join(REPO, 'node_modules')}" node_modules`,
      ].join('\n'),
    );
    chmodSync(npm, 0o755);
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync('bash', [SCRIPT, ...args], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, ...env },
    });

  it('installs app, config, env file, state dir and unit into the fake root', () => {
    const root = path.join(tmp, 'root');
    const r = run(['--root', root]);
    expect(r.stderr).toContain('configuration is valid');
    expect(r.status, r.stdout + r.stderr).toBe(0);

    const app = path.join(root, 'opt', 'kasa-collector');
    for (const f of [
      'package.json',
      'package-lock.json',
      'dist/bin.js',
      'config/example.json',
      'dist/sinks/status/static/status.js',
    ]) {
      expect(existsSync(path.join(app, f)), f).toBe(true);
    }
    expect(readFileSync(path.join(tmp, 'npm.log'), 'utf8')).toBe(
      `${app}: ci --omit=dev --no-audit --no-fund\n`,
    );

    const etc = path.join(root, 'etc', 'kasa-collector');
    expect(readFileSync(path.join(etc, 'config.json'), 'utf8')).toBe(
      readFileSync(path.join(REPO, 'config', 'example.json'), 'utf8'),
    );
    expect(mode(path.join(etc, 'config.json'))).toBe('640');
    expect(readFileSync(path.join(etc, 'env'), 'utf8')).toMatch(/^#MQTT_PASSWORD=$/m);
    expect(mode(path.join(etc, 'env'))).toBe('600');
    expect(mode(path.join(root, 'var', 'lib', 'kasa-collector'))).toBe('750');
    expect(
      readFileSync(path.join(root, 'etc', 'systemd', 'system', 'kasa-collector.service'), 'utf8'),
    ).toBe(readFileSync(path.join(REPO, 'deploy', 'kasa-collector.service'), 'utf8'));

    expect(r.stdout).toContain('[--root: skipped] systemctl daemon-reload');
    expect(r.stdout).toContain('[--root: skipped] systemctl enable --now kasa-collector');
    expect(r.stdout).toContain('[--root: skipped] chown root:root');
    expect(r.stdout).toContain('journalctl -u kasa-collector -f');
  });

  it('keeps an existing config and env file on a second run, and replaces the app', () => {
    const root = path.join(tmp, 'root');
    const etc = path.join(root, 'etc', 'kasa-collector');
    writeFileSync(path.join(etc, 'config.json'), '{ "devices": [{ "host": "10.0.0.9" }] }\n');
    writeFileSync(path.join(etc, 'env'), 'MQTT_PASSWORD=secret\n');
    chmodSync(path.join(etc, 'env'), 0o644);
    const stale = path.join(root, 'opt', 'kasa-collector', 'dist', 'stale.js');
    writeFileSync(stale, '');

    const r = run(['--root', root, '--no-start']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(etc, 'config.json'), 'utf8')).toContain('10.0.0.9');
    expect(readFileSync(path.join(etc, 'env'), 'utf8')).toBe('MQTT_PASSWORD=secret\n');
    expect(mode(path.join(etc, 'env'))).toBe('600');
    expect(existsSync(stale)).toBe(false);
    expect(r.stdout).toContain('keeping');
    expect(r.stdout).toContain('[--root: skipped] systemctl enable kasa-collector\n');
  });

  it('takes DESTDIR, and points the unit at a node that is not /usr/bin/node', () => {
    const root = path.join(tmp, 'destdir');
    const node = path.join(bin, 'node');
    writeFileSync(node, `#!/bin/sh\nexec "${process.execPath}" "$@"\n`);
    chmodSync(node, 0o755);
    try {
      const r = run([], { DESTDIR: root });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const dropin = path.join(root, 'etc/systemd/system/kasa-collector.service.d/node.conf');
      expect(readFileSync(dropin, 'utf8')).toBe(
        `[Service]\nExecStart=\nExecStart=${node} /opt/kasa-collector/dist/bin.js run\n`,
      );
    } finally {
      rmSync(node, { force: true });
    }
  });

  it('rejects an unknown argument', () => {
    const r = run(['--bogus']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown argument: --bogus');
  });
});
