/**
 * A set of simulated plugs started together, for the demo and for integration tests: e.g. a
 * fridge on an `hs110v1` (legacy emeter fields), a washing machine on an `hs110v4`
 * (unit-suffixed), a lamp on an `hs100` (no emeter) and a desk on a `kp115`; power strips on an
 * `hs300` (per-outlet emeter) or a `kp303` (no emeter).
 */
import { systemClock } from '../clock.js';
import type { LoadConfig, LoadPreset } from './load.js';
import type { ProfileName } from './profiles.js';
import type { OutletOptions } from './iot-model.js';
import { SimulatedPlug } from './plug.js';

/** One plug of a fleet. */
export interface FleetSpec {
  profile: ProfileName;
  alias: string;
  /** Load noise and identity seed; default derived from `alias`. */
  seed?: number;
  /** Appliance shape; default `desk`. */
  load?: LoadPreset | Partial<LoadConfig>;
  /** TCP port on 127.0.0.1; default 0 (a free one). */
  port?: number;
  /** Relay state at boot; default on (on a strip: each outlet's default). */
  relay?: boolean;
  /**
   * A strip's outlets (only for `hs300`, `kp303`): exactly the profile's outlet count; default
   * `Outlet 1` … `Outlet n`, all on. See {@link OutletOptions}.
   */
  outlets?: readonly OutletOptions[];
}

/** A started plug of a fleet. */
export interface FleetMember {
  spec: FleetSpec;
  plug: SimulatedPlug;
  host: string;
  port: number;
}

/** Started plugs; `stop()` stops them all and is safe to call twice. */
export interface Fleet {
  members: FleetMember[];
  stop(): Promise<void>;
}

/**
 * Starts one {@link SimulatedPlug} per spec on 127.0.0.1.
 *
 * @param specs the plugs, in order
 * @param now time source shared by all plugs, ms since the epoch (default the system clock's)
 * @returns the started plugs with their ports
 * @throws Error when a plug cannot bind, or a spec's `outlets` do not fit its profile; the plugs
 *   already started are stopped first
 */
export async function startFleet(
  specs: readonly FleetSpec[],
  now: () => number = () => systemClock.now(),
): Promise<Fleet> {
  const members: FleetMember[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.plug.stop()));
  };
  try {
    for (const spec of specs) {
      const plug = new SimulatedPlug({ ...spec, host: '127.0.0.1', now });
      members.push({ spec, plug, host: plug.host, port: 0 });
      const member = members[members.length - 1] as FleetMember;
      member.port = await plug.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, stop };
}
