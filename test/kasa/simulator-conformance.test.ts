/**
 * Conformance against an independent implementation of the plug side: plasticrake's
 * tplink-smarthome-simulator (the simulator tplink-smarthome-api tests against). Its `hs110`
 * answers in the legacy style, its `hs110v2` in the unit-suffixed style (it floors V, A, W, kWh
 * × 1000 to integers, see its `lib/devices/hs.js`).
 */
import net from 'node:net';
import { Device } from 'tplink-smarthome-simulator';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../fakes/wait.js';
import { xorDevice } from '../fakes/xor-device.js';

interface Realtime {
  voltage: number;
  current: number;
  power: number;
  total: number;
}
interface SimData {
  emeter: { realtime: Realtime };
  system: { sysinfo: Record<string, unknown> };
}
interface Networking {
  udpSocket?: { address(): { address: string } };
  /** Whether the UDP socket bound: the TCP listen (and its retries) come only after it. */
  udpSocketBound?: boolean;
  /** The TCP server, which the simulator re-listens on after EADDRINUSE. */
  server?: net.Server;
}

/**
 * Resolves once a device whose start failed has stopped retrying on its own: after an
 * EADDRINUSE the simulator listens again up to twice, 500 ms apart (`device-networking.js`), so
 * the TCP server either ends up listening or errors twice more. Stopping it before then would
 * leave a retry to bind a port after the test.
 */
async function retriesSettled(device: Device): Promise<void> {
  const networking = device.deviceNetworking as unknown as Networking;
  const server = networking.server;
  if (server === undefined || !networking.udpSocketBound) return;
  let errors = 0;
  let listening = false;
  server.on('error', () => errors++);
  server.on('listening', () => (listening = true));
  await waitFor(() => listening || errors >= 2, 5000, 'the simulator to stop retrying');
}

const devices: Device[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.stop()));
});

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startDevice(
  model: string,
  relay: 0 | 1,
): Promise<{ device: Device; data: SimData }> {
  // The simulator binds UDP first, then TCP on the same port number; with port 0 the UDP pick
  // can collide with a TCP port in use, so a TCP port known to be free is passed instead, and a
  // rare collision is retried. After a failed start the simulator retries listening by itself
  // (up to twice, 500 ms apart), so the failed device is stopped only after that.
  for (let attempt = 1; ; attempt++) {
    // address 127.0.0.1: its TCP server and the UDP socket it binds on the same port stay on
    // loopback; the shared UDP discovery server on :9999 (`UdpServer`) is never started.
    const device = new Device({
      model,
      address: '127.0.0.1',
      port: await freeTcpPort(),
      alias: `conformance ${model}`,
    });
    try {
      await device.start();
    } catch (err) {
      await retriesSettled(device);
      await device.stop();
      if (attempt >= 3 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      continue;
    }
    devices.push(device);
    const data = device.data as unknown as SimData;
    data.system.sysinfo['relay_state'] = relay;
    return { device, data };
  }
}

describe('conformance with tplink-smarthome-simulator', () => {
  it.each([
    ['hs110', 1, (v: number) => v],
    ['hs110v2', 0, (v: number) => Math.floor(v * 1000) / 1000],
  ] as const)(
    '%s: KasaDevice.poll() reads what the simulator says',
    async (model, relay, convert) => {
      const { device, data } = await startDevice(model, relay);
      expect(device.address).toBe('127.0.0.1');
      const udp = (device.deviceNetworking as unknown as Networking).udpSocket;
      if (udp !== undefined) expect(udp.address().address).toBe('127.0.0.1');

      const plug = xorDevice({ host: '127.0.0.1', port: device.port });
      const rt = data.emeter.realtime;
      const info = data.system.sysinfo;
      for (let i = 0; i < 2; i++) {
        const sample = await plug.poll(3000);
        expect(sample.hasEmeter).toBe(true);
        expect(sample.values).toEqual({
          voltage: convert(rt.voltage),
          current: convert(rt.current),
          power: convert(rt.power),
          energy: convert(rt.total),
          state: relay === 1 ? 'ON' : 'OFF',
          rssi: info['rssi'],
        });
        expect(sample.identity).toEqual({
          alias: `conformance ${model}`,
          model: info['model'],
          hw_ver: info['hw_ver'],
          sw_ver: info['sw_ver'],
          mac: info['mac'],
          deviceId: info['deviceId'],
          transport: 'xor',
        });
      }
      // Two polls (three requests) went over one kept-alive connection; the simulator's stop()
      // waits for its connections to close.
      plug.close();
    },
  );

  it('hs100: no emeter, so only state and rssi', async () => {
    const { device, data } = await startDevice('hs100', 1);
    const plug = xorDevice({ host: '127.0.0.1', port: device.port });
    const sample = await plug.poll(3000);
    plug.close();
    expect(sample.hasEmeter).toBe(false);
    expect(sample.values).toEqual({ state: 'ON', rssi: data.system.sysinfo['rssi'] });
  });
});
