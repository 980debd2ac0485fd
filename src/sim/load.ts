/**
 * A deterministic appliance model behind a simulated plug's emeter.
 *
 * Real plugs report real power that wanders (a fridge's compressor cycles, a PC's load walks), a
 * mains voltage a few volts around nominal, a current larger than P/V because the power factor is
 * below 1 (docs/protocol.md#what-real-plugs-get-wrong), and an energy total counted since the plug
 * booted (docs/protocol.md#energy-since-boot). The model advances in fixed steps of simulated time
 * from a seeded PRNG, so a reading depends only on the seed, the relay history and the clock, never
 * on how often it was sampled: tests stay deterministic with an injected time source.
 */
import { systemClock } from '../clock.js';

/** Shape of an appliance's load. */
export interface LoadConfig {
  /** PRNG seed; the same seed and clock give the same readings. */
  seed: number;
  /** Mean of the slowly wandering base load, W. */
  baseW: number;
  /** Standard deviation of the base load's random walk per step, W. */
  walkW: number;
  /** Extra load of a cycling component (compressor, heater), W; 0 for none. */
  cycleW: number;
  /** Period of the cycling component, ms. */
  cyclePeriodMs: number;
  /** Fraction of each period the cycling component is on, 0…1. */
  cycleDuty: number;
  /** Power factor, 0…1 (real power / apparent power). */
  powerFactor: number;
  /** Nominal mains voltage, V. */
  nominalV: number;
  /** Largest deviation of the voltage from nominal, V. */
  voltageSpanV: number;
  /** Energy already counted at boot, kWh (a plug that has been running a while); default 0. */
  initialKWh: number;
}

/** Named appliance shapes used by the demo fleet. */
export const LOAD_PRESETS = {
  fridge: {
    baseW: 4,
    walkW: 0.2,
    cycleW: 85,
    cyclePeriodMs: 20 * 60_000,
    cycleDuty: 0.4,
    powerFactor: 0.85,
  },
  washer: {
    baseW: 180,
    walkW: 15,
    cycleW: 1900,
    cyclePeriodMs: 6 * 60_000,
    cycleDuty: 0.25,
    powerFactor: 0.93,
  },
  lamp: { baseW: 9, walkW: 0.05, cycleW: 0, cyclePeriodMs: 60_000, cycleDuty: 0, powerFactor: 0.6 },
  desk: {
    baseW: 65,
    walkW: 4,
    cycleW: 30,
    cyclePeriodMs: 90_000,
    cycleDuty: 0.3,
    powerFactor: 0.92,
  },
} as const satisfies Record<string, Partial<LoadConfig>>;

/** One of the {@link LOAD_PRESETS} names. */
export type LoadPreset = keyof typeof LOAD_PRESETS;

const DEFAULTS: LoadConfig = {
  seed: 1,
  ...LOAD_PRESETS.desk,
  nominalV: 230,
  voltageSpanV: 4,
  initialKWh: 0,
};

/** What the emeter reads at one instant. */
export interface LoadSample {
  /** RMS voltage, V. */
  voltage: number;
  /** RMS current, A: power / (voltage × power factor). */
  current: number;
  /** Real power, W; 0 while the relay is off. */
  power: number;
  /** Energy since the plug booted (the model was created), kWh. */
  energy: number;
}

/** Simulated time per model step, ms. */
export const STEP_MS = 1000;
/** Steps simulated one by one per advance; longer gaps are integrated at the last power. */
const MAX_STEPS = 200_000;

/**
 * mulberry32: a tiny, well-known 32-bit PRNG; good enough for load noise and for tests that
 * must replay a random run.
 * @param seed any 32-bit integer
 * @returns a function giving numbers in [0, 1)
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A load whose state advances in {@link STEP_MS} steps of the injected clock.
 * Constructing it is "booting" the plug: energy starts at 0 kWh.
 */
export class LoadModel {
  /** The full configuration in use (defaults filled in). */
  readonly config: LoadConfig;
  readonly #now: () => number;
  readonly #rand: () => number;
  readonly #phaseMs: number;
  #t: number;
  #relay = true;
  #base: number;
  #volt: number;
  #energyKWh = 0;

  /**
   * @param config load shape; missing fields take the `desk` preset, 230 V ± 4 V
   * @param now time source, ms since the epoch; default the system clock's (inject a manual
   *   clock in tests)
   */
  constructor(config: Partial<LoadConfig> = {}, now: () => number = () => systemClock.now()) {
    this.config = { ...DEFAULTS, ...config };
    this.#now = now;
    this.#rand = prng(this.config.seed);
    this.#t = now();
    this.#phaseMs = this.#rand() * this.config.cyclePeriodMs;
    this.#base = Math.max(0, this.config.baseW + this.config.walkW * this.#gauss());
    this.#volt = this.config.nominalV + (this.#rand() - 0.5) * this.config.voltageSpanV;
    this.#energyKWh = this.config.initialKWh;
  }

  /** Whether the relay is closed (load powered). */
  get relay(): boolean {
    return this.#relay;
  }

  /** Switches the relay; energy up to now is counted at the old state first. */
  setRelay(on: boolean): void {
    this.#advance();
    this.#relay = on;
  }

  /** Reads the emeter now. */
  sample(): LoadSample {
    this.#advance();
    const power = this.#power();
    const voltage = this.#volt;
    const current = power === 0 ? 0 : power / (voltage * this.config.powerFactor);
    return { voltage, current, power, energy: this.#energyKWh };
  }

  #power(): number {
    if (!this.#relay) return 0;
    const c = this.config;
    const phase =
      (((this.#t + this.#phaseMs) % c.cyclePeriodMs) + c.cyclePeriodMs) % c.cyclePeriodMs;
    const cycling = phase < c.cycleDuty * c.cyclePeriodMs ? c.cycleW : 0;
    return Math.max(0, this.#base + cycling);
  }

  /** Gaussian noise, Box–Muller. */
  #gauss(): number {
    const u = 1 - this.#rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.#rand());
  }

  #advance(): void {
    const target = this.#now();
    let steps = 0;
    while (this.#t + STEP_MS <= target && steps < MAX_STEPS) {
      this.#energyKWh += (this.#power() * STEP_MS) / 3_600_000_000;
      this.#t += STEP_MS;
      this.#step();
      steps++;
    }
    if (this.#t + STEP_MS <= target) {
      this.#energyKWh += (this.#power() * (target - this.#t)) / 3_600_000_000;
      this.#t = target - ((target - this.#t) % STEP_MS);
    }
  }

  /** One step of the mean-reverting random walks of base load and voltage. */
  #step(): void {
    const c = this.config;
    this.#base += 0.02 * (c.baseW - this.#base) + c.walkW * this.#gauss();
    if (this.#base < 0) this.#base = 0;
    this.#volt += 0.05 * (c.nominalV - this.#volt) + 0.15 * this.#gauss();
    const lo = c.nominalV - c.voltageSpanV;
    const hi = c.nominalV + c.voltageSpanV;
    this.#volt = Math.min(hi, Math.max(lo, this.#volt));
  }
}
