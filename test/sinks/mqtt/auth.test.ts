/**
 * A broker that requires a login, and a password given each way the collector takes one: in the
 * config file, in $MQTT_PASSWORD, in mqtt.passwordFile, in the URL's userinfo (with an unencoded
 * `@`, which MQTT.js accepts). Each logs in; a wrong one is refused with one clear log line; and
 * neither ever shows up in a log line (the real logger, with its redaction) or in check-config.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/cli.js';
import { loadConfig } from '../../../src/config/load.js';
import { redactConfig } from '../../../src/config/redact.js';
import type { LoadConfigOptions } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log/logger.js';
import type { MqttConnect } from '../../../src/sinks/mqtt/sink.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import type { TestBroker } from '../../fakes/broker.js';
import { startBroker } from '../../fakes/broker.js';
import { configFile } from '../../config/helpers.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

// Two distinctive halves around an `@`: a redactor that stopped at the first `@` would leak TAIL.
const HEAD = 'Qx7HeadSecret';
const TAIL = 'Tail9Secret';
const PASSWORD = `${HEAD}@${TAIL}`;
const WRONG = `${HEAD}-wrong@${TAIL}`;
const USER = 'kasa';

const dir = mkdtempSync(join(tmpdir(), 'kasa-auth-'));
let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ auth: { username: USER, password: PASSWORD } });
});
afterAll(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** How a password reaches the collector: the file's content and the environment. */
type Route = (password: string) => { mqtt: Record<string, unknown>; env: NodeJS.ProcessEnv };

const ROUTES: Record<string, Route> = {
  'mqtt.password': (pw) => ({ mqtt: { username: USER, password: pw }, env: {} }),
  $MQTT_PASSWORD: (pw) => ({ mqtt: { username: USER }, env: { MQTT_PASSWORD: pw } }),
  'mqtt.passwordFile': (pw) => {
    const passwordFile = join(dir, `pw-${pw.length}`);
    writeFileSync(passwordFile, `${pw}\n`, { mode: 0o600 });
    return { mqtt: { username: USER, passwordFile }, env: {} };
  },
  'the URL userinfo': (pw) => ({
    mqtt: { url: `mqtt://${USER}:${pw}@127.0.0.1:${broker.port}` },
    env: {},
  }),
};

/** The real logger (createLogger, with its redact paths) writing into memory. */
function realLogger(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const raw: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => raw.push(s) } });
  return { log, text: () => raw.join('') };
}

/** What `check-config --config file` prints, with `env` set in process.env meanwhile. */
async function checkConfig(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  const out: string[] = [];
  const keep = { ...process.env };
  Object.assign(process.env, env);
  const spies = [process.stdout, process.stderr].map((s) =>
    vi.spyOn(s, 'write').mockImplementation((c) => (out.push(String(c)), true)),
  );
  try {
    expect(await main(['check-config', '--config', file])).toBe(0);
  } finally {
    for (const spy of spies) spy.mockRestore();
    process.env = keep;
  }
  return out.join('');
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(HEAD);
  expect(text).not.toContain(TAIL);
}

describe.each(Object.entries(ROUTES))('a password given in %s', (_, route) => {
  /** loadConfig options for `password` sent this route, against the test broker. */
  function load(password: string): { opts: LoadConfigOptions; file: string } {
    const { mqtt, env } = route(password);
    const file = configFile({ mqtt: { url: broker.url, ...mqtt } });
    return { opts: { file, env }, file };
  }

  it('logs in, and never shows up in the log or in check-config', async () => {
    const { opts, file } = load(PASSWORD);
    const config = loadConfig(opts);
    const { log, text } = realLogger();
    log.info({ config: redactConfig(config) }, 'effective config');
    const sink = new MqttSink(config.mqtt, { log, clock: systemClock, stopTimeoutMs: 300 });
    await sink.start();
    await waitFor(() => sink.connected, 5000, 'login');
    await sink.stop();
    expect(text()).toContain('connected to MQTT broker');
    expectNoSecret(text());
    expectNoSecret(await checkConfig(file, opts.env ?? {}));
  });

  it('is refused when wrong: one log line saying so over many retries, never crashing', async () => {
    const config = loadConfig(load(WRONG).opts);
    let closes = 0;
    const fast: MqttConnect = (url, o) => {
      const client = connect(url, { ...o, reconnectPeriod: 50 });
      client.on('close', () => closes++);
      return client;
    };
    const { log, text } = realLogger();
    const sink = new MqttSink(config.mqtt, {
      log,
      clock: systemClock,
      connect: fast,
      stopTimeoutMs: 300,
    });
    await sink.start();
    await waitFor(() => closes >= 4, 5000, '4 refused logins');
    expect(sink.connected).toBe(false);
    await sink.stop();
    const refused = text()
      .split('\n')
      .filter((l) => /Connection refused: (Not authorized|Bad user ?name or password)/i.test(l));
    expect(refused).toHaveLength(1);
    expect(JSON.parse(refused[0] ?? '{}')).toMatchObject({ level: 40 });
    expect(refused[0]).toContain('check mqtt.username and the password');
    expectNoSecret(text());
  });
});
