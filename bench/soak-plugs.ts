/**
 * The soak's plugs (`soak.ts`): N simulated plugs (`src/sim/`, the real protocol) in a process
 * of their own, so their memory is not counted against the collector. Every second, half-way
 * between two ticks, each plug draws its fault for the next poll: with probability `share`
 * one of {@link FAULTS} (a plug that hangs, resets, sends garbage, a bad length, bad JSON, an
 * error code, a reply too slow for `poll.timeout`, or refuses connections), else none.
 *
 * Run with one JSON argument ({@link SoakPlugsOptions}); reports its ports over IPC as
 * `{type:'ready', ports}` and the faults drawn as `{type:'faults', drawn, total}` when asked.
 */
import { startFleet } from '../src/sim/fleet.js';
import type { SimFaults } from '../src/sim/faults.js';
import { prng } from '../src/sim/load.js';

/** What the parent passes. */
export interface SoakPlugsOptions {
  plugs: number;
  /** Chance of a fault per plug per second, 0..1. */
  share: number;
  /** ms a slow reply waits: more than the collector's `poll.timeout`. */
  slowMs: number;
  seed: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as SoakPlugsOptions;

const FAULTS: Partial<SimFaults>[] = [
  { hang: true },
  { closeEarly: true },
  { closeMidBody: true },
  { garbage: true },
  { badLength: 0 },
  { invalidJson: true },
  { errCode: { level: 'method', code: -1, msg: 'module not support' } },
  { delayMs: opts.slowMs },
  { refuse: true },
];

const fleet = await startFleet(
  Array.from({ length: opts.plugs }, (_, i) => ({
    profile: i % 2 === 0 ? ('kp115' as const) : ('hs110v1' as const),
    alias: `Soak ${i + 1}`,
    load: i % 3 === 0 ? ('fridge' as const) : ('desk' as const),
  })),
);
const rand = prng(opts.seed);
let drawn = 0;
let total = 0;

/** Each plug's fault for the next second. */
async function draw(): Promise<void> {
  await Promise.all(
    fleet.members.map(async ({ plug }) => {
      await plug.clearFaults();
      total++;
      if (rand() >= opts.share) return;
      drawn++;
      await plug.setFaults(FAULTS[Math.floor(rand() * FAULTS.length)] as Partial<SimFaults>);
    }),
  );
}

// Half-way between two whole seconds: a fault is in place for the whole next poll.
setTimeout(
  () => {
    void draw();
    setInterval(() => void draw(), 1000);
  },
  1500 - (Date.now() % 1000),
);

process.on('message', (m: { type: string }) => {
  if (m.type === 'faults') process.send?.({ type: 'faults', drawn, total });
});
process.on('disconnect', () => void fleet.stop().then(() => process.exit(0)));
process.send?.({ type: 'ready', ports: fleet.members.map((m) => m.port) });
