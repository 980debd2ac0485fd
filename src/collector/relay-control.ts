/**
 * Relay commands, as the collector runs them: find the device (or a strip's outlet), check it
 * opted in (`devices[].control`), then — queued behind any poll of that plug — set the relay and
 * read the plug again at once, so the new relay position is published without waiting for a
 * tick.
 *
 * Commands are coalesced per relay (a plug, or one outlet of a strip): at most one request is in
 * flight, the latest wanted state wins, and two requests to one relay are at least
 * {@link RELAY_SPACING_MS} apart. A dashboard button pressed repeatedly, or a script in a loop,
 * makes a real relay click once a second at most, and the commands that were overtaken end
 * `superseded` (the line of the request that carried them counts them). The re-poll is
 * published only when the relay moved, so a flood adds no readings beyond one per switch.
 *
 * Failure policy: nothing here throws. An unknown device or one without `control` is logged once
 * per name, and such lines are capped per minute (the name comes from outside, so a flood of
 * names must neither flood the log nor grow memory); a plug error is logged each time a request
 * fails (at most once a second per relay), with its stable code (`INTERNAL_ERROR` for anything
 * that is not a plug's).
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { PlugError, PollErrorCode } from '../errors.js';
import type { DeviceSample } from '../kasa/device.js';
import { heldNote, LogThrottle } from '../log/throttle.js';
import type { OutletInfo, RelayState } from '../reading.js';
import type { RelayAction, RelayCommand } from '../sinks/sink.js';
import type { PolledDevice } from './polled-device.js';

/** Least time between two requests to one relay, ms. */
export const RELAY_SPACING_MS = 1000;

/**
 * How a command ended: `switched` (the request carrying it succeeded), `superseded` (a later
 * command to the same relay replaced it before it was sent), `cancelled` (the collector
 * stopped first), or refused.
 */
export type RelayCommandOutcome =
  'switched' | 'superseded' | 'cancelled' | 'unknown-device' | 'not-controlled' | 'failed';

/** What {@link RelayControl} needs. */
export interface RelayControlDeps {
  /** Spaces the requests (monotonic time and timers). */
  clock: Clock;
  log: Logger;
  /** Told of a switched relay's re-poll when the relay moved: the collector publishes it. */
  onSwitched: (device: PolledDevice, sample: DeviceSample) => void;
}

/**
 * The wish after `action` arrives, given the wish not yet sent (`pending`) and the relay as last
 * known (`base`: the state last asked for while busy, else as last read). ON and OFF replace
 * anything; TOGGLE flips the pending wish or, without one, `base`; two TOGGLEs with nothing to
 * flip cancel out; TOGGLE with nothing known stays TOGGLE (the plug is read first).
 * @returns the new pending wish; undefined when nothing is left to do
 */
export function foldAction(
  pending: RelayAction | undefined,
  action: RelayAction,
  base: RelayState | undefined,
): RelayAction | undefined {
  if (action !== 'TOGGLE') return action;
  if (pending === 'TOGGLE') return undefined;
  const from = pending ?? base;
  if (from === undefined) return 'TOGGLE';
  return from === 'ON' ? 'OFF' : 'ON';
}

/** One relay's queue. */
interface Slot {
  /** The wish not yet sent. */
  wanted: RelayAction | undefined;
  /** Resolve the commands the wish carries. */
  waiters: ((outcome: RelayCommandOutcome) => void)[];
  /** Commands the wish replaced. */
  superseded: number;
  /** The state last asked for (in flight or just set). */
  asked: RelayState | undefined;
  /** True while a request is in flight or waiting for its spacing. */
  busy: boolean;
  /** Monotonic ms the last request was sent. */
  sentAt: number;
}

/** Runs relay commands against the collector's devices. */
export class RelayControl {
  /** Per device, per outlet id (`''` for a plug's own relay). Bounded by the config. */
  readonly #slots = new WeakMap<PolledDevice, Map<string, Slot>>();
  readonly #ignored: LogThrottle;
  /** Waits for the spacing, so `stop()` can end them. */
  readonly #sleeps = new Map<unknown, () => void>();
  #stopped = false;

  /**
   * @param timeoutMs deadline of each request (the set, then the re-poll), ms
   * @param deps clock, logger, and where a switched relay's re-poll goes
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly deps: RelayControlDeps,
  ) {
    this.#ignored = new LogThrottle(deps.clock, {
      perKeyMs: Infinity,
      maxKeys: 256,
      maxPerWindow: 10,
      windowMs: 60_000,
    });
  }

  /**
   * @param devices the current devices
   * @param command the device (and a strip's outlet, switched with `context.child_ids`) and the
   *   action: ON, OFF or TOGGLE (TOGGLE flips the relay as last read or asked; unknown: read first)
   * @returns how the command ended; resolves once the request carrying it is done
   */
  run(devices: readonly PolledDevice[], command: RelayCommand): Promise<RelayCommandOutcome> {
    const { action, outlet: outletName } = command;
    const name = outletName === undefined ? command.device : `${command.device}/${outletName}`;
    const device = devices.find((d) => d.named && d.info.name === command.device);
    const outlet =
      outletName === undefined ? undefined : device?.outlets.find((o) => o.name === outletName);
    // A strip has no relay of its own: its outlets are switched one by one.
    const unknown =
      device === undefined ||
      (outletName !== undefined ? outlet === undefined : device.outlets.length > 0);
    if (unknown || device.config.control !== true) {
      const outcome = unknown ? 'unknown-device' : 'not-controlled';
      this.#ignore(name, action, outcome, device !== undefined && outletName === undefined);
      return Promise.resolve(outcome);
    }
    if (this.#stopped) return Promise.resolve('cancelled');
    const slot = this.#slot(device, outlet);
    const base = slot.busy ? (slot.asked ?? relayOf(device, outlet)) : relayOf(device, outlet);
    const wanted = foldAction(slot.wanted, action, base);
    if (slot.wanted !== undefined) {
      slot.superseded++;
      for (const w of slot.waiters.splice(0)) w('superseded');
    }
    slot.wanted = wanted;
    if (wanted === undefined) return Promise.resolve('superseded');
    const done = new Promise<RelayCommandOutcome>((resolve) => slot.waiters.push(resolve));
    if (!slot.busy) void this.#drain(device, outlet, name, slot);
    return done;
  }

  /** Takes commands again after {@link stop} (a collector started again). */
  start(): void {
    this.#stopped = false;
  }

  /**
   * Ends the waits for spacing (what they carried ends `cancelled`) and refuses commands until
   * {@link start}. Idempotent.
   */
  stop(): void {
    this.#stopped = true;
    for (const [timer, wake] of this.#sleeps) {
      this.deps.clock.clearTimeout(timer);
      wake();
    }
    this.#sleeps.clear();
  }

  #slot(device: PolledDevice, outlet: OutletInfo | undefined): Slot {
    let slots = this.#slots.get(device);
    if (slots === undefined) this.#slots.set(device, (slots = new Map()));
    const key = outlet?.id ?? '';
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = {
        wanted: undefined,
        waiters: [],
        superseded: 0,
        asked: undefined,
        busy: false,
        sentAt: -Infinity,
      };
      slots.set(key, slot);
    }
    return slot;
  }

  /** Sends the slot's wishes one at a time, spaced, until none is left. */
  async #drain(
    device: PolledDevice,
    outlet: OutletInfo | undefined,
    name: string,
    slot: Slot,
  ): Promise<void> {
    slot.busy = true;
    while (slot.wanted !== undefined) {
      const wait = slot.sentAt + RELAY_SPACING_MS - this.deps.clock.monotonic();
      if (wait > 0) await this.#sleep(wait);
      const action = slot.wanted;
      const waiters = slot.waiters.splice(0);
      const superseded = slot.superseded;
      slot.wanted = undefined;
      slot.superseded = 0;
      if (action === undefined) continue;
      if (this.#stopped) {
        for (const w of waiters) w('cancelled');
        break;
      }
      slot.asked = action === 'TOGGLE' ? undefined : action;
      slot.sentAt = this.deps.clock.monotonic();
      const outcome = await this.#send(device, outlet, name, action, superseded);
      for (const w of waiters) w(outcome);
    }
    slot.busy = false;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => {
        this.#sleeps.delete(timer);
        resolve();
      }, ms);
      this.#sleeps.set(timer, resolve);
    });
  }

  /** One request: set the relay, read the plug again; publish the reading when the relay moved. */
  async #send(
    device: PolledDevice,
    outlet: OutletInfo | undefined,
    name: string,
    action: RelayAction,
    superseded: number,
  ): Promise<RelayCommandOutcome> {
    const { client } = device;
    const before = relayOf(device, outlet);
    const relayIn = (sample: DeviceSample): RelayState | undefined =>
      outlet === undefined
        ? sample.values.state
        : sample.outlets?.find((o) => o.id === outlet.id)?.values.state;
    const more = superseded > 0 ? { superseded } : {};
    try {
      const sample = await device.exclusive(async () => {
        let relay = outlet === undefined ? device.relay : undefined;
        if (action === 'TOGGLE' && relay === undefined) {
          relay = relayIn(await client.poll(this.timeoutMs));
        }
        const on = action === 'TOGGLE' ? relay !== 'ON' : action === 'ON';
        await client.setRelay(on, this.timeoutMs, outlet?.id);
        return client.poll(this.timeoutMs);
      });
      const state = relayIn(sample);
      this.deps.log.info({ device: name, action, state, ...more }, 'relay switched');
      if (state !== before) this.deps.onSwitched(device, sample);
      return 'switched';
    } catch (err) {
      // A rejection that is not a PlugError is a bug in this path, not the plug's answer.
      const code = err instanceof PlugError ? err.code : PollErrorCode.INTERNAL;
      this.deps.log.warn(
        { device: name, action, code, err, ...more },
        `relay command failed: ${String(err)}`,
      );
      return 'failed';
    }
  }

  /** Logs a refused command, once per name and at most 10 such lines a minute. */
  #ignore(name: string, action: RelayAction, outcome: string, isStrip: boolean): void {
    const held = this.#ignored.take(`${outcome} ${name}`);
    if (held === undefined) return;
    const why =
      outcome === 'not-controlled'
        ? 'devices[].control is not true for it'
        : name.includes('/')
          ? 'no such outlet'
          : isStrip
            ? 'a power strip is switched per outlet, on <prefix>/<strip>/<outlet>/set'
            : 'no such device';
    this.deps.log.warn(
      { device: name, action },
      `relay command ignored: ${why} (logged once per name)${heldNote(held)}`,
    );
  }
}

/** The relay of a plug (or one outlet of a strip) as last read; undefined before the first poll. */
function relayOf(device: PolledDevice, outlet: OutletInfo | undefined): RelayState | undefined {
  if (outlet === undefined) return device.relay;
  return device.lastSample?.outlets?.find((o) => o.id === outlet.id)?.values.state;
}
