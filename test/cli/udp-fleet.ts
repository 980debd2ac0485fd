import type { SimulatedPlug } from '../../src/sim/plug.js';
import { PROFILES, type SimProfile } from '../../src/sim/profiles.js';
import { SimulatedUdpResponder, type SimulatedUdpOptions } from '../../src/sim/udp.js';

/** One simulated plug and how its UDP responder behaves. */
export interface UdpSpec {
  plug: SimulatedPlug;
  udp?: Omit<SimulatedUdpOptions, 'host' | 'port'>;
}

/** A fleet of UDP responders on 127.0.0.1, 127.0.0.2 … sharing one port, as plugs share 9999. */
export interface UdpFleet {
  port: number;
  hosts: string[];
  responders: SimulatedUdpResponder[];
  stop(): Promise<void>;
}

/**
 * Starts the plugs, then one responder per plug on `127.0.0.<i+1>`, all on the same free port
 * (Linux answers on the whole of 127.0.0.0/8). Retries with another port if one is taken.
 */
export async function startUdpFleet(specs: UdpSpec[]): Promise<UdpFleet> {
  for (const s of specs) await s.plug.start();
  for (let attempt = 0; ; attempt++) {
    const responders: SimulatedUdpResponder[] = [];
    try {
      let port = 0;
      for (const [i, s] of specs.entries()) {
        const r = new SimulatedUdpResponder(s.plug, { ...s.udp, host: `127.0.0.${i + 1}`, port });
        responders.push(r);
        port = await r.start();
      }
      return {
        port,
        hosts: responders.map((r) => r.host),
        responders,
        stop: async () => {
          for (const r of responders) await r.stop();
          for (const s of specs) await s.plug.stop();
        },
      };
    } catch (e) {
      for (const r of responders) await r.stop();
      if (attempt >= 5) throw e;
    }
  }
}

/** An HS300 strip with six outlets, unit-suffixed emeter. */
export const HS300: SimProfile = {
  ...PROFILES.kp115,
  model: 'HS300(US)',
  sysinfo: (st) => ({
    ...PROFILES.kp115.sysinfo(st),
    model: 'HS300(US)',
    children: [0, 1, 2, 3, 4, 5].map((i) => ({
      id: `${'AB'.repeat(20)}0${i}`,
      alias: `Outlet ${i + 1}`,
      state: 1,
    })),
  }),
};

/** A model the public record does not list, with an emeter: its field style is a guess. */
export const UNKNOWN_METER: SimProfile = {
  ...PROFILES.kp115,
  model: 'KP999(EU)',
  sysinfo: (st) => ({ ...PROFILES.kp115.sysinfo(st), model: 'KP999(EU)' }),
};
