/**
 * A real MQTT broker for tests, on 127.0.0.1 only: mosquitto when installed (what users run),
 * else aedes in-process (MQTT.js tests its client against a tiny in-process broker the same
 * way, `test/node/helpers/server.ts`). `KASA_TEST_BROKER=aedes` forces aedes.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import { waitFor } from './wait.js';

/** A running broker. */
export interface TestBroker {
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  port: number;
  kind: 'mosquitto' | 'aedes';
  /** Stops the broker and frees the port; retained messages are lost (no persistence). */
  stop(): Promise<void>;
}

/** The one login a broker started with `auth` accepts; anonymous and other logins are refused. */
export interface BrokerAuth {
  username: string;
  password: string;
}

/**
 * A mosquitto password file line (`user:$6$salt$hash`, SHA-512 over password then salt, both
 * base64), the format mosquitto 1.6 and 2.x read; written here so `mosquitto_passwd` is not
 * needed.
 */
function mosquittoPasswordLine({ username, password }: BrokerAuth): string {
  const salt = randomBytes(12);
  const hash = createHash('sha512').update(password).update(salt).digest();
  return `${username}:$6$${salt.toString('base64')}$${hash.toString('base64')}\n`;
}

/** A TCP port free on 127.0.0.1 right now (listen on port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Path of the mosquitto binary, or undefined. */
export function findMosquitto(): string | undefined {
  if (process.env['KASA_TEST_BROKER'] === 'aedes') return undefined;
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/sbin'];
  return dirs
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'mosquitto'))
    .find((p) => existsSync(p));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function startMosquitto(bin: string, port: number, auth?: BrokerAuth): Promise<TestBroker> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kasa-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  let access = 'allow_anonymous true\n';
  if (auth !== undefined) {
    const passwd = path.join(dir, 'passwd');
    await writeFile(passwd, mosquittoPasswordLine(auth), { mode: 0o600 });
    // mosquitto 2 reads the password file after dropping root to its own user, which cannot
    // read our temp dir; `user root` keeps it (a no-op when not run as root).
    access = `allow_anonymous false\npassword_file ${passwd}\nuser root\n`;
  }
  await writeFile(
    conf,
    `listener ${port} 127.0.0.1\n${access}persistence false\nlog_dest stderr\nlog_type error\n`,
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error('mosquitto exited');
        return canConnect(port);
      },
      5000,
      `mosquitto to listen on port ${port}`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`mosquitto did not start on port ${port}: ${stderr.trim() || String(err)}`);
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    kind: 'mosquitto',
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startAedes(port: number, auth?: BrokerAuth): Promise<TestBroker> {
  const broker = await Aedes.createBroker(
    auth === undefined
      ? {}
      : {
          authenticate: (_client, username, password, done) =>
            done(null, username === auth.username && password?.toString() === auth.password),
        },
  );
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${actual}`,
    port: actual,
    kind: 'aedes',
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}

/**
 * Starts a broker on 127.0.0.1.
 * @param opts.port a fixed port (to bring a broker up where a client already waits); default free
 * @param opts.auth the only login accepted (others get CONNACK 5, "Not authorized"); default:
 *   anonymous clients welcome
 */
export async function startBroker(
  opts: { port?: number; auth?: BrokerAuth } = {},
): Promise<TestBroker> {
  const bin = findMosquitto();
  if (bin !== undefined) return startMosquitto(bin, opts.port ?? (await freePort()), opts.auth);
  return startAedes(opts.port ?? 0, opts.auth);
}
