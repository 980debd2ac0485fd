/**
 * The benchmark's plugs: N simulated plugs in one process (the parent pins it to its own CPU),
 * built from the project's simulator parts (device profiles, load model, request dispatch,
 * cipher), each on its own loopback port, keep-alive, several requests per connection.
 *
 * Unlike `SimulatedPlug` it records when each request arrives, so the tick offset is measured
 * at the plug, the same way for every poller. To keep that timestamp honest under load, a
 * `data` event only stamps and queues the request; answers are computed in a later
 * `setImmediate`, after every request that arrived together has been stamped.
 *
 * Run by `bench.ts` with one JSON argument ({@link SimHostOptions}); talks over IPC.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { HEADER_BYTES, decrypt, encodeFrame } from '../src/kasa/transport/xor-cipher.js';
import { answer, type DeviceView } from '../src/sim/answer.js';
import { LOAD_PRESETS, LoadModel, type LoadPreset } from '../src/sim/load.js';
import { PROFILES, type ProfileName, type SimProfile } from '../src/sim/profiles.js';

/** What the parent passes. */
export interface SimHostOptions {
  plugs: number;
  /** Indexes of the plugs that accept and read but never answer. */
  hung: number[];
  intervalS: number;
}

/** Parent → child: the arrivals in a time window. */
export interface ArrivalsQuery {
  type: 'arrivals';
  fromMs: number;
  toMs: number;
}

/** Child → parent. */
export type SimHostMessage =
  | { type: 'ready'; ports: number[] }
  | {
      type: 'arrivals';
      /** Every request's arrival minus its tick, ms. */
      offsetsMs: number[];
      /** Per tick, the first request's arrival minus the tick, ms: how late each tick began. */
      firstOffsetsMs: number[];
      healthy: number;
      hung: number;
    };

const MIX: [ProfileName, LoadPreset][] = [
  ['kp115', 'desk'],
  ['hs110v4', 'fridge'],
  ['hs110v1', 'lamp'],
  ['kp115', 'washer'],
];

const now = (): number => performance.timeOrigin + performance.now();

class BenchPlug implements DeviceView {
  readonly hasEmeter: boolean;
  readonly #profile: SimProfile;
  readonly #load: LoadModel;
  readonly #sysinfo: Record<string, unknown>;
  readonly #boot = Date.now();

  constructor(
    readonly index: number,
    readonly hung: boolean,
  ) {
    const [profile, preset] = MIX[index % MIX.length] as [ProfileName, LoadPreset];
    this.#profile = PROFILES[profile];
    this.hasEmeter = this.#profile.emeter !== 'none';
    this.#load = new LoadModel({ seed: index + 1, ...LOAD_PRESETS[preset] });
    // Identity hashes are computed once; only on_time changes between requests.
    this.#sysinfo = this.#profile.sysinfo({
      alias: `Bench plug ${index}`,
      relay: true,
      onTimeS: 0,
      rssi: -40 - (index % 30),
      seed: index + 1,
    });
  }

  sysinfo(): Record<string, unknown> {
    this.#sysinfo['on_time'] = Math.floor((Date.now() - this.#boot) / 1000);
    return this.#sysinfo;
  }

  realtime(): Record<string, unknown> {
    return this.#profile.realtime(this.#load.sample()) ?? {};
  }

  setRelay(): void {}
}

interface Queued {
  socket: net.Socket;
  plug: BenchPlug;
  body: Buffer;
}

const arrivalAt: number[] = [];
const arrivalPlug: number[] = [];
const queue: Queued[] = [];
/** Requests answered per turn of the event loop. */
const SLICE = 16;
let draining = false;

/**
 * Answers queued requests a few at a time, yielding to the event loop between slices so that
 * requests arriving meanwhile are stamped within a fraction of a millisecond, not after a whole
 * tick's worth of answers.
 */
function drain(): void {
  const batch = queue.splice(0, SLICE);
  if (queue.length > 0) setImmediate(drain);
  else draining = false;
  for (const { socket, plug, body } of batch) {
    if (socket.destroyed) continue;
    let request: unknown;
    try {
      request = JSON.parse(decrypt(body).toString('utf8'));
    } catch {
      socket.destroy();
      continue;
    }
    const reply = answer(request, plug);
    if (reply === undefined) socket.destroy();
    else socket.write(encodeFrame(JSON.stringify(reply)));
  }
}

function serve(socket: net.Socket, plug: BenchPlug): void {
  socket.on('error', () => undefined);
  let buf: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const at = now();
    buf = buf === undefined ? chunk : Buffer.concat([buf, chunk]);
    while (buf !== undefined && buf.length >= HEADER_BYTES) {
      const len: number = buf.readUInt32BE(0);
      if (len > 64 * 1024) {
        socket.destroy();
        return;
      }
      const end: number = HEADER_BYTES + len;
      if (buf.length < end) break;
      const body = buf.subarray(HEADER_BYTES, end);
      buf = buf.length === end ? undefined : buf.subarray(end);
      arrivalAt.push(at);
      arrivalPlug.push(plug.index);
      if (!plug.hung) queue.push({ socket, plug, body });
    }
    if (!draining && queue.length > 0) {
      draining = true;
      setImmediate(drain);
    }
  });
}

function listen(plug: BenchPlug): Promise<number> {
  const server = net.createServer({ noDelay: true }, (socket) => serve(socket, plug));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as SimHostOptions;
  const hung = new Set(opts.hung);
  const plugs = Array.from({ length: opts.plugs }, (_, i) => new BenchPlug(i, hung.has(i)));
  const ports: number[] = [];
  for (const plug of plugs) ports.push(await listen(plug));
  const periodMs = opts.intervalS * 1000;
  process.on('message', (m: ArrivalsQuery) => {
    if (m.type !== 'arrivals') return;
    const offsetsMs: number[] = [];
    const firstByTick = new Map<number, number>();
    let healthy = 0;
    let hungCount = 0;
    for (let i = 0; i < arrivalAt.length; i++) {
      const at = arrivalAt[i] as number;
      if (at < m.fromMs || at >= m.toMs) continue;
      const tick = Math.floor(at / periodMs);
      const offset = at - tick * periodMs;
      offsetsMs.push(offset);
      firstByTick.set(tick, Math.min(offset, firstByTick.get(tick) ?? Infinity));
      if (hung.has(arrivalPlug[i] as number)) hungCount++;
      else healthy++;
    }
    const reply: SimHostMessage = {
      type: 'arrivals',
      offsetsMs,
      firstOffsetsMs: [...firstByTick.values()],
      healthy,
      hung: hungCount,
    };
    process.send?.(reply);
  });
  process.on('disconnect', () => process.exit(0));
  const ready: SimHostMessage = { type: 'ready', ports };
  process.send?.(ready);
}

void main();
