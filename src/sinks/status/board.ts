/**
 * What the status page knows of each device, kept up to date from what every sink hears
 * (readings, availability) and from the poll observer (outcomes, error messages), and turned
 * into the `/api/status` JSON on demand (shape in `docs/status-page.md`).
 *
 * Cost: per reading a few field copies and one {@link PowerHistory} slot; per poll two counters.
 * Nothing is formatted, serialized or sent unless someone asks (`snapshot()`), and the change
 * set that feeds live updates is kept only while a listener wants it (`track`).
 *
 * Devices are keyed by address and outlet position (`host:port`, `host:port/3`), not by name:
 * a device is named from its alias only at its first good poll, and its failures before that
 * arrive under a name made from its address. Everything from the plug (alias, model, error
 * messages) is untrusted text; `render.ts` escapes it, the JSON carries it as data. The number
 * of devices is bounded ({@link MAX_DEVICES}): past it the least recently heard of is dropped.
 */
import type { Clock } from '../../clock.js';
import {
  deviceKey as publishedName,
  type DeviceInfo,
  type Measurement,
  type Reading,
} from '../../reading.js';
import { PowerHistory, type PowerPoint } from './ring.js';

/** Devices (plugs, strips, outlets) kept at most. */
export const MAX_DEVICES = 4096;

/** Error messages are cut to this many characters. */
export const MAX_MESSAGE = 300;

/** One device in `/api/status`. Times are ISO 8601 UTC; `null` where nothing is known yet. */
export interface DeviceStatus {
  /** Stable key: `host:port`, or `host:port/<position>` for a strip's outlet. */
  id: string;
  /** Topic path: `fridge`, `office_strip/monitor`. */
  name: string;
  alias: string | null;
  model: string | null;
  /** How the collector reaches it, e.g. `xor`. */
  transport: string | null;
  host: string;
  port: number;
  /** A strip's outlet: its 1-based position; else null. */
  outlet: number | null;
  /** A strip itself: its outlet count (its values are the outlets' sums); else null. */
  outlets: number | null;
  /** `true` online, `false` offline, `null` not yet known. */
  online: boolean | null;
  /** When `online` last changed (or the device was first heard of). */
  since: string;
  /** The last reading: W, V, A, kWh (`energy_total` lifetime, `energy` since the plug booted), `ON`/`OFF`, dBm. */
  reading: ({ time: string } & Measurement) | null;
  /** The last failed poll (it may have recovered since: compare with `reading.time`). */
  error: { code: string; message: string; at: string } | null;
  /** Polls since start; `null` for an outlet (its strip is polled). */
  polls: { ok: number; failed: number } | null;
  /** `[unix s, W]` over the last hour, oldest first, one per tick. */
  power: PowerPoint[];
}

/** A device in a live update: as in {@link DeviceStatus} but with only the newest power point. */
export type DeviceUpdate = Omit<DeviceStatus, 'power'> & { point: PowerPoint | null };

/** One sink in `/api/status`. */
export interface SinkStatusJson {
  name: string;
  /** `null` for a sink without a remote end (the HTTP endpoint itself). */
  connected: boolean | null;
  queued: number | null;
  /** What `queued` counts: `readings`, `frames`. */
  unit: string | null;
  /** When the oldest waiting item was queued, and its age, s. */
  oldest: string | null;
  oldestAgeS: number | null;
  dropped: number | null;
  lastError: { message: string; at: string } | null;
}

/** The whole of `/api/status`. */
export interface StatusSnapshot {
  /** Bumped when a field changes meaning or goes away. */
  version: 1;
  generatedAt: string;
  /** `poll.interval`, s. */
  intervalS: number;
  devices: DeviceStatus[];
  sinks: SinkStatusJson[];
}

interface Entry {
  id: string;
  info: DeviceInfo;
  alias: string | undefined;
  model: string | undefined;
  transport: string | undefined;
  outlets: number | undefined;
  online: boolean | undefined;
  sinceMs: number;
  heardMs: number;
  readingTime: number | undefined;
  values: Measurement | undefined;
  error: { code: string; message: string; atMs: number } | undefined;
  ok: number;
  failed: number;
  history: PowerHistory | undefined;
}

/** The key of a device: its address and, for an outlet, its position. */
export function deviceKey(device: DeviceInfo): string {
  const base = `${device.host}:${device.port}`;
  return device.outlet === undefined ? base : `${base}/${device.outlet.position}`;
}

/** ISO 8601 of a clock ms. */
function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The devices' state; pure apart from the injected clock. */
export class StatusBoard {
  readonly #devices = new Map<string, Entry>();
  /** Keys changed since the last `takeChanges()`; kept only while tracking. */
  #changed: Set<string> | undefined;
  #removed: string[] = [];

  /**
   * @param intervalS `poll.interval`, s (sizes the power history)
   * @param clock `since` and error times
   */
  constructor(
    private readonly intervalS: number,
    private readonly clock: Clock,
  ) {}

  /** Devices known. */
  get size(): number {
    return this.#devices.size;
  }

  /** Starts (true) or stops (false) remembering which devices changed, for live updates. */
  track(on: boolean): void {
    this.#changed = on ? (this.#changed ?? new Set()) : undefined;
    if (!on) this.#removed = [];
  }

  /** A reading: values, identity and one power slot. */
  reading(reading: Reading): void {
    const e = this.#entry(reading.device);
    const { identity } = reading;
    e.alias = identity.alias;
    e.model = identity.model;
    e.transport = identity.transport;
    e.outlets = reading.outletCount;
    e.readingTime = reading.time;
    e.values = reading.values;
    const { power } = reading.values;
    if (power !== undefined) {
      e.history ??= new PowerHistory(this.intervalS);
      e.history.push(reading.time, power);
    }
    this.#touch(e);
  }

  /** An availability change. */
  availability(device: DeviceInfo, online: boolean): void {
    const e = this.#entry(device);
    if (e.online !== online) e.sinceMs = this.clock.now();
    e.online = online;
    this.#touch(e);
  }

  /** A poll outcome: `code` undefined for a good poll. */
  poll(device: DeviceInfo, code: string | undefined, message: string | undefined): void {
    const e = this.#entry(device);
    if (code === undefined) {
      e.ok++;
    } else {
      e.failed++;
      const text = (message ?? '').slice(0, MAX_MESSAGE);
      e.error = { code: code.slice(0, 64), message: text, atMs: this.clock.now() };
    }
    this.#touch(e);
  }

  /** The device left the config. */
  removed(device: DeviceInfo): void {
    const id = deviceKey(device);
    if (!this.#devices.delete(id)) return;
    this.#changed?.delete(id);
    if (this.#changed !== undefined) this.#removed.push(id);
  }

  /** Every device, sorted by name (a strip's outlets follow it). */
  devices(): DeviceStatus[] {
    const nowS = this.clock.now() / 1000;
    return [...this.#devices.values()].map((e) => this.#json(e, nowS)).sort(byName);
  }

  /**
   * The devices changed (and the ids removed) since the last call; empties the change set.
   * Empty unless {@link track} is on.
   */
  takeChanges(): { devices: DeviceUpdate[]; removed: string[] } {
    const changed = this.#changed;
    if (changed === undefined || (changed.size === 0 && this.#removed.length === 0))
      return { devices: [], removed: [] };
    const devices: DeviceUpdate[] = [];
    for (const id of changed) {
      const e = this.#devices.get(id);
      if (e === undefined) continue;
      const { power: _all, ...rest } = this.#json(e, undefined);
      devices.push({ ...rest, point: e.history?.last() ?? null });
    }
    changed.clear();
    const removed = this.#removed;
    this.#removed = [];
    return { devices: devices.sort(byName), removed };
  }

  #entry(device: DeviceInfo): Entry {
    const id = deviceKey(device);
    let e = this.#devices.get(id);
    if (e === undefined) {
      if (this.#devices.size >= MAX_DEVICES) this.#evictOldest();
      const now = this.clock.now();
      e = {
        id,
        info: device,
        alias: undefined,
        model: undefined,
        transport: undefined,
        outlets: undefined,
        online: undefined,
        sinceMs: now,
        heardMs: now,
        readingTime: undefined,
        values: undefined,
        error: undefined,
        ok: 0,
        failed: 0,
        history: undefined,
      };
      this.#devices.set(id, e);
    }
    e.info = device;
    return e;
  }

  #touch(e: Entry): void {
    e.heardMs = this.clock.now();
    this.#changed?.add(e.id);
  }

  #evictOldest(): void {
    let oldest: Entry | undefined;
    for (const e of this.#devices.values()) if (!oldest || e.heardMs < oldest.heardMs) oldest = e;
    if (oldest !== undefined) this.removed(oldest.info);
  }

  /** @param nowS the end of the power history; undefined: no history (a live update) */
  #json(e: Entry, nowS: number | undefined): DeviceStatus {
    const { info } = e;
    return {
      id: e.id,
      name: publishedName(info),
      alias: e.alias ?? null,
      model: e.model ?? null,
      transport: e.transport ?? null,
      host: info.host,
      port: info.port,
      outlet: info.outlet?.position ?? null,
      outlets: e.outlets ?? null,
      online: e.online ?? null,
      since: iso(e.sinceMs),
      reading:
        e.readingTime === undefined || e.values === undefined
          ? null
          : { time: iso(e.readingTime * 1000), ...e.values },
      error:
        e.error === undefined
          ? null
          : { code: e.error.code, message: e.error.message, at: iso(e.error.atMs) },
      polls: info.outlet === undefined ? { ok: e.ok, failed: e.failed } : null,
      power: nowS === undefined ? [] : (e.history?.points(nowS) ?? []),
    };
  }
}

function byName(a: { name: string; id: string }, b: { name: string; id: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1;
}
