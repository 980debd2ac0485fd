import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { inferFieldStyle } from '../../src/kasa/discovery.js';
import {
  decodeDatagram,
  encodeDatagram,
  isBroadcastAddress,
  isLoopbackAddress,
} from '../../src/kasa/transport/udp.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { SimulatedUdpResponder } from '../../src/sim/udp.js';

describe('inferFieldStyle (docs/protocol.md#emeter-field-styles)', () => {
  const cases: [string, string, string, string][] = [
    // model, hw_ver, feature, expected table cell
    ['HS110(EU)', '1.0', 'TIM:ENE', 'legacy'],
    ['HS110(US)', '1.1', 'TIM:ENE', 'legacy'],
    ['HS110(EU)', '2.0', 'TIM:ENE', 'suffixed'],
    ['HS110(EU)', '4.0', 'TIM:ENE', 'suffixed'],
    ['HS110(EU)', '', 'TIM:ENE', 'suffixed?'],
    ['KP115(EU)', '1.0', 'TIM:ENE', 'suffixed'],
    ['KP125(US)', '1.0', 'TIM:ENE', 'suffixed'],
    ['HS300(US)', '2.0', 'TIM:ENE', 'suffixed'],
    ['EP25(US)', '2.6', 'TIM:ENE', 'suffixed'],
    ['KP999(EU)', '1.0', 'TIM:ENE', 'suffixed?'],
    ['HS100(UK)', '1.0', 'TIM', 'none'],
    ['KP303(UK)', '1.0', 'TIM', 'none'],
  ];
  it.each(cases)('%s hw %s, feature %s → %s', (model, hw_ver, feature, cell) => {
    const { fields, inferred } = inferFieldStyle({ model, hw_ver, feature });
    expect(inferred ? `${fields}?` : fields).toBe(cell);
  });
});

describe('UDP addresses', () => {
  it('broadcast only for 255.255.255.255, a .255 or an interface broadcast', () => {
    expect(isBroadcastAddress('255.255.255.255', [])).toBe(true);
    expect(isBroadcastAddress('192.168.1.255', [])).toBe(true);
    expect(isBroadcastAddress('10.0.0.127', ['10.0.0.127'])).toBe(true);
    expect(isBroadcastAddress('10.0.0.127', [])).toBe(false);
    expect(isBroadcastAddress('127.0.0.1', [])).toBe(false);
    expect(isBroadcastAddress('::1', [])).toBe(false);
  });
  it('loopback is 127.0.0.0/8 and ::1', () => {
    expect(['127.0.0.1', '127.0.0.3', '::1'].every(isLoopbackAddress)).toBe(true);
    expect(['0.0.0.0', '192.168.1.5', '::'].some(isLoopbackAddress)).toBe(false);
  });
  it('a datagram is the cipher without the length prefix', () => {
    const d = encodeDatagram('{"system":{"get_sysinfo":{}}}');
    expect(d.length).toBe(29);
    expect(decodeDatagram(d).toString()).toBe('{"system":{"get_sysinfo":{}}}');
  });
});

describe('SimulatedUdpResponder', () => {
  it('refuses to bind anything but loopback', async () => {
    const plug = new SimulatedPlug({ profile: 'hs100', alias: 'a' });
    for (const host of ['0.0.0.0', '192.168.1.5', '::']) {
      await expect(new SimulatedUdpResponder(plug, { host }).start()).rejects.toThrow(
        /loopback only/,
      );
    }
  });

  it('answers other requests like the TCP plug: set_relay_state switches the relay', async () => {
    const plug = new SimulatedPlug({ profile: 'hs110v4', alias: 'Relay' });
    await plug.start();
    const udp = new SimulatedUdpResponder(plug);
    const port = await udp.start();
    const client = dgram.createSocket('udp4');
    try {
      const reply = await new Promise<Buffer>((resolve) => {
        client.once('message', resolve);
        client.send(
          encodeDatagram('{"system":{"set_relay_state":{"state":0}}}'),
          port,
          '127.0.0.1',
        );
      });
      expect(JSON.parse(decodeDatagram(reply).toString())).toEqual({
        system: { set_relay_state: { err_code: 0 } },
      });
      expect(plug.relay).toBe(false);
    } finally {
      client.close();
      await udp.stop();
      await udp.stop();
      await plug.stop();
    }
  });
});
