/**
 * What the simulator's tests share: plugs started and stopped after each test, and one request
 * over the collector's own transport. Their `now` comes from the shared manual clock
 * (`../fakes/manual-clock.ts`).
 */
import { afterEach } from 'vitest';
import { encodeFrame } from '../../src/kasa/transport/xor-cipher.js';
import { exchangeOnce as exchange } from '../../src/kasa/transport/xor-once.js';
import { SimulatedPlug, type SimulatedPlugOptions } from '../../src/sim/plug.js';

export type Json = Record<string, unknown>;

/**
 * Registers an `afterEach` that stops everything `track` was given during the test.
 * @returns track: remembers a started plug (or strip) and returns it
 */
export function stoppedAfterEach<T extends { stop(): Promise<void> }>(): (item: T) => T {
  const items: T[] = [];
  afterEach(async () => {
    await Promise.all(items.splice(0).map((p) => p.stop()));
  });
  return (item) => {
    items.push(item);
    return item;
  };
}

/**
 * A factory of started {@link SimulatedPlug}s, each stopped after its test.
 * @returns `started(opts)`: builds, starts and returns a plug
 */
export function plugStarter(): (opts: SimulatedPlugOptions) => Promise<SimulatedPlug> {
  const track = stoppedAfterEach<SimulatedPlug>();
  return async (opts) => {
    const plug = track(new SimulatedPlug(opts));
    await plug.start();
    return plug;
  };
}

/** One request over a fresh TCP connection, through the collector's own transport; the parsed reply. */
export async function ask(to: { host: string; port: number }, request: Json): Promise<Json> {
  const body = await exchange(
    { host: to.host, port: to.port },
    encodeFrame(JSON.stringify(request)),
    { timeoutMs: 2000 },
  );
  return JSON.parse(body.toString('utf8')) as Json;
}

/** `v` when it is an object, else `{}`. */
export const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
/** A reply's `system.get_sysinfo`. */
export const sysinfoOf = (reply: Json): Json => obj(obj(reply['system'])['get_sysinfo']);
/** A reply's `emeter.get_realtime`. */
export const realtimeOf = (reply: Json): Json => obj(obj(reply['emeter'])['get_realtime']);
