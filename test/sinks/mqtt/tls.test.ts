/**
 * MQTT over TLS against a real TLS listener on 127.0.0.1: aedes behind `tls.createServer`, with
 * a CA, a broker certificate and a client certificate generated here (selfsigned, pure JS, so no
 * openssl binary is needed). The same aedes also listens in plain TCP for the test subscriber.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import { connect } from 'mqtt';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { MqttConfig } from '../../../src/config/types.js';
import type { MqttConnect } from '../../../src/sinks/mqtt/sink.js';
import { MqttSink } from '../../../src/sinks/mqtt/sink.js';
import { configFile } from '../../config/helpers.js';
import { makeReading, subscribe } from '../helpers.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { waitFor } from '../../fakes/wait.js';
import { systemClock } from '../../../src/clock.js';

type Pems = Awaited<ReturnType<typeof selfsigned.generate>>;

const dir = mkdtempSync(join(tmpdir(), 'kasa-tls-'));
const servers: net.Server[] = [];
let broker: Aedes;
/** `mqtt://` of the plain listener, for the subscriber. */
let plainUrl: string;
/** Ports of the TLS listeners: one that wants no client certificate, one that requires one. */
let tlsPort: number;
let mutualPort: number;
/** Common names of the client certificates the mutual-TLS listener saw. */
const clientNames: string[] = [];
/** PEM files: the CA, and the client certificate and key it signed. */
const files = { ca: '', cert: '', key: '' };

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A certificate for `cn` signed by `ca`, with the given extensions. */
function signed(ca: Pems, cn: string, extensions: object[]): Promise<Pems> {
  return selfsigned.generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: extensions as never,
  });
}

beforeAll(async () => {
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'kasa test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await signed(ca, 'localhost', [
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    { name: 'extKeyUsage', serverAuth: true },
  ]);
  const client = await signed(ca, 'kasa-collector', [{ name: 'extKeyUsage', clientAuth: true }]);
  for (const [name, pem] of [
    ['ca', ca.cert],
    ['cert', client.cert],
    ['key', client.private],
  ] as const) {
    files[name] = join(dir, `${name}.pem`);
    writeFileSync(files[name], pem, { mode: 0o600 });
  }
  broker = await Aedes.createBroker();
  const handle = (s: net.Socket): void => void broker.handle(s);
  plainUrl = `mqtt://127.0.0.1:${await listen(net.createServer(handle))}`;
  tlsPort = await listen(tls.createServer({ key: server.private, cert: server.cert }, handle));
  const mutual = tls.createServer(
    { key: server.private, cert: server.cert, ca: ca.cert, requestCert: true },
    (s) => {
      clientNames.push(String(s.getPeerCertificate().subject?.CN));
      handle(s);
    },
  );
  mutualPort = await listen(mutual);
});

afterAll(async () => {
  for (const s of servers) s.close();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** The `mqtt` slice `loadConfig` makes of `mqtt` (so the file checks run too). */
function mqttSlice(mqtt: Partial<MqttConfig>): MqttConfig {
  return loadConfig({ file: configFile({ mqtt: { clientId: 'kasa-tls', ...mqtt } }), env: {} })
    .mqtt;
}

/** MQTT.js connect retrying every 50 ms, counting closed attempts. */
function fastConnect(): { connect: MqttConnect; closes: () => number } {
  let closes = 0;
  const fast: MqttConnect = (url, o) => {
    const client = connect(url, { ...o, reconnectPeriod: 50 });
    client.on('close', () => closes++);
    return client;
  };
  return { connect: fast, closes: () => closes };
}

describe('MqttSink over TLS', () => {
  it.each(['mqtts', 'ssl'])('%s:// with mqtt.ca: connects, and readings arrive', async (scheme) => {
    const sub = await subscribe(plainUrl, 'kasa/#');
    const { log, lines } = memoryLogger();
    const config = mqttSlice({ url: `${scheme}://127.0.0.1:${tlsPort}`, ca: files.ca });
    const sink = new MqttSink(config, { log, clock: systemClock, stopTimeoutMs: 500 });
    await sink.start();
    await waitFor(() => sink.connected, 5000, 'TLS connect');
    sink.write(makeReading());
    await waitFor(() => sub.seen.some((m) => m.topic === 'kasa/fridge'), 5000, 'kasa/fridge');
    await sink.stop();
    await sub.close();
    expect(lines.filter((l) => /MQTT error|disconnected|verification/.test(l.msg))).toEqual([]);
  });

  it('without mqtt.ca: fails verification, logs it once saying what to set, never crashes', async () => {
    const fast = fastConnect();
    const { log, lines } = memoryLogger();
    const config = mqttSlice({ url: `mqtts://127.0.0.1:${tlsPort}` });
    const sink = new MqttSink(config, {
      log,
      clock: systemClock,
      connect: fast.connect,
      stopTimeoutMs: 300,
    });
    await sink.start();
    await waitFor(() => fast.closes() >= 4, 5000, '4 failed handshakes');
    expect(sink.connected).toBe(false);
    await sink.stop();
    const errors = lines.filter((l) => l.msg.startsWith('MQTT error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.level).toBe(40);
    expect(errors[0]?.msg).toContain('certificate verification failed');
    expect(errors[0]?.msg).toContain('set mqtt.ca to the PEM file of the CA');
    expect(errors[0]?.['err']).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(errors[0]?.['code']).toBe('SINK_TLS');
  });

  it('with mqtt.rejectUnauthorized false: connects, and warns at start', async () => {
    const { log, lines } = memoryLogger();
    const config = mqttSlice({ url: `mqtts://127.0.0.1:${tlsPort}`, rejectUnauthorized: false });
    const sink = new MqttSink(config, { log, clock: systemClock, stopTimeoutMs: 500 });
    await sink.start();
    const warning = lines.find((l) => l.msg.includes('certificate verification is off'));
    expect(warning?.level).toBe(40);
    await waitFor(() => sink.connected, 5000, 'TLS connect');
    await sink.stop();
  });

  it('with mqtt.cert and mqtt.key: a broker that requires a client certificate gets it', async () => {
    const { log } = memoryLogger();
    const config = mqttSlice({ url: `mqtts://127.0.0.1:${mutualPort}`, ...files });
    const sink = new MqttSink(config, { log, clock: systemClock, stopTimeoutMs: 500 });
    await sink.start();
    await waitFor(() => sink.connected, 5000, 'mutual TLS connect');
    await sink.stop();
    expect(clientNames).toContain('kasa-collector');
  });

  it('without a client certificate, where one is required: says to set mqtt.cert and mqtt.key', async () => {
    const fast = fastConnect();
    const { log, lines } = memoryLogger();
    const config = mqttSlice({ url: `mqtts://127.0.0.1:${mutualPort}`, ca: files.ca });
    const sink = new MqttSink(config, {
      log,
      clock: systemClock,
      connect: fast.connect,
      stopTimeoutMs: 300,
    });
    await sink.start();
    await waitFor(() => fast.closes() >= 3, 5000, '3 refused handshakes');
    await sink.stop();
    const errors = lines.filter((l) => l.msg.startsWith('MQTT error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toContain('set mqtt.cert and mqtt.key');
  });
});
