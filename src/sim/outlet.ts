/**
 * One switched, metered outlet of a simulated plug: relay, on-time and the load model behind it.
 * A single plug has one; a power strip (HS300, KP303) has one per child
 * (docs/protocol.md#power-strips), each with its own relay, `on_time` and load.
 */
import { LoadModel, type LoadConfig, type LoadSample } from './load.js';

/** A relay with its on-time and load. The constructor only assigns; `boot()` creates the load. */
export class SimOutlet {
  readonly #config: Partial<LoadConfig>;
  readonly #now: () => number;
  #relay: boolean;
  #onSince = 0;
  #load: LoadModel | undefined;

  /**
   * @param config the load shape behind the relay (seed included)
   * @param relay relay state at boot
   * @param now time source, ms since the epoch
   */
  constructor(config: Partial<LoadConfig>, relay: boolean, now: () => number) {
    this.#config = config;
    this.#relay = relay;
    this.#now = now;
  }

  /** Powers up: energy back to its initial value, on-time counted from now. */
  boot(): void {
    this.#load = new LoadModel(this.#config, this.#now);
    this.#load.setRelay(this.#relay);
    this.#onSince = this.#now();
  }

  /** Relay closed. */
  get relay(): boolean {
    return this.#relay;
  }

  /** Switches the relay; switching on restarts the on-time. */
  setRelay(on: boolean): void {
    if (on && !this.#relay) this.#onSince = this.#now();
    this.#relay = on;
    this.#load?.setRelay(on);
  }

  /** Whole seconds since the relay was last switched on (or booted on); 0 while off. */
  onTimeS(): number {
    return this.#relay ? Math.max(0, Math.floor((this.#now() - this.#onSince) / 1000)) : 0;
  }

  /** What the emeter measures now (V, A, W, kWh since boot); `undefined` before `boot()`. */
  sample(): LoadSample | undefined {
    return this.#load?.sample();
  }
}
