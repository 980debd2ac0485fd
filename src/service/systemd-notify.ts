import { execFile as nodeExecFile } from 'node:child_process';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';

/**
 * systemd's sd_notify protocol (`Type=notify`, `WatchdogSec=`) without a native addon: Node
 * cannot send on an AF_UNIX datagram socket, and zigbee2mqtt's `lib/util/sd-notify.ts` needs the
 * native `unix-dgram` for it, which would need a compiler on the Pi. Instead each message is one
 * run of the `systemd-notify` binary, part of the `systemd` package on Raspberry Pi OS / Debian
 * (`/usr/bin/systemd-notify`, `/bin/systemd-notify` before the /usr merge).
 *
 * The sender is then a child, not the main PID, so the unit needs `NotifyAccess=all` (the
 * default `main` drops the message). systemd attributes a message by the sender's cgroup, which
 * fails if the sender already exited; systemd-notify of systemd >= 246 (bullseye has 247,
 * bookworm 252) waits until PID 1 has processed the message (sd_notify_barrier), so no race.
 *
 * Like zigbee2mqtt's, every method is a no-op without `NOTIFY_SOCKET` (not under systemd, in
 * Docker, in the demo). If the binary is missing, the collector runs on with one warning, but
 * under `Type=notify` systemd never hears READY=1 and fails the start after `TimeoutStartSec=`.
 * Where systemd is PID 1 on Debian the binary is always there (same package as PID 1); the
 * likely case is a container manager that sets `NOTIFY_SOCKET` (podman `--sdnotify=container`)
 * in an image without systemd, where the warning is all that happens.
 */

/** The slice of `child_process.execFile` used here; tests pass a fake that records argv. */
export type ExecFileFn = (
  file: string,
  args: readonly string[],
  options: { timeout: number; env: NodeJS.ProcessEnv },
  callback: (err: (Error & { code?: unknown }) | null) => void,
) => void;

/** What the notifier needs; everything is injected so tests run it on a manual clock. */
export interface NotifierDeps {
  /** Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`; passed on to the child. */
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** Whether the work is progressing; while false, watchdog pings are withheld. */
  healthy: () => boolean;
  /** A short line for `systemctl status` (devices online, polls). */
  status: () => string;
  /** Default: `child_process.execFile`. */
  execFile?: ExecFileFn;
  /** Our PID, compared with `WATCHDOG_PID`; default `process.pid`. */
  pid?: number;
}

/** How long one systemd-notify run may take (it waits for PID 1 to read the message), ms. */
export const NOTIFY_TIMEOUT_MS = 5000;
/** How often STATUS= is refreshed when systemd runs no watchdog, ms. */
export const STATUS_PERIOD_MS = 60_000;

/**
 * The watchdog ping period from systemd's environment: half of `WATCHDOG_USEC` (µs), as
 * sd_watchdog_enabled(3) advises; undefined when systemd runs no watchdog for this process
 * (no `WATCHDOG_USEC`, or a `WATCHDOG_PID` that is another process: the variables leaked into a
 * child); `'invalid'` when `WATCHDOG_USEC` is not a positive integer.
 * @param env the process environment
 * @param pid our PID
 * @returns the period in ms, undefined, or 'invalid'
 */
export function watchdogPeriod(
  env: NodeJS.ProcessEnv,
  pid: number,
): number | undefined | 'invalid' {
  const raw = env['WATCHDOG_USEC'];
  const owner = env['WATCHDOG_PID'];
  if (raw === undefined || (owner !== undefined && Number(owner) !== pid)) return undefined;
  const usec = Number(raw);
  return Number.isInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : 'invalid';
}

/** Sends READY, WATCHDOG (while healthy), STATUS and STOPPING to systemd; see the file comment. */
export class SystemdNotifier {
  #timer: unknown;
  #running = false;
  #disabled = false;
  #failing = false;
  #stalled = false;

  /** @param deps environment, clock, logger, health and status callbacks, spawn function */
  constructor(private readonly deps: NotifierDeps) {}

  /** True when started by systemd with a notify socket. */
  get enabled(): boolean {
    return Boolean(this.deps.env['NOTIFY_SOCKET']);
  }

  /** The watchdog ping period (half of `WATCHDOG_USEC`), or undefined when there is none. */
  get watchdogPeriodMs(): number | undefined {
    if (!this.enabled) return undefined;
    const period = watchdogPeriod(this.deps.env, this.deps.pid ?? process.pid);
    return period === 'invalid' ? undefined : period;
  }

  /** Sends READY=1 with a first status and arms the watchdog. Call after the collector started. */
  start(): void {
    if (!this.enabled || this.#running) return;
    this.#running = true;
    if (watchdogPeriod(this.deps.env, this.deps.pid ?? process.pid) === 'invalid') {
      const raw = this.deps.env['WATCHDOG_USEC'];
      this.deps.log.warn(
        { WATCHDOG_USEC: raw },
        'systemd watchdog: invalid WATCHDOG_USEC, ignored',
      );
    }
    this.send(['--ready', `--status=${this.deps.status()}`]);
    this.arm();
  }

  /** Stops pinging and sends STOPPING=1, so systemd knows the exit is expected. Idempotent. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.deps.clock.clearTimeout(this.#timer);
    this.send(['--status=stopping', 'STOPPING=1']);
  }

  private arm(): void {
    const period = this.watchdogPeriodMs;
    this.#timer = this.deps.clock.setTimeout(() => {
      if (!this.#running) return;
      if (period !== undefined) this.ping();
      else this.send([`--status=${this.deps.status()}`]);
      this.arm();
    }, period ?? STATUS_PERIOD_MS);
  }

  /**
   * WATCHDOG=1 only while `healthy()`: a wedged event loop never gets here, and a scheduler that
   * stopped ticking withholds the ping, so in both cases systemd kills and restarts us.
   */
  private ping(): void {
    const { healthy, status, log } = this.deps;
    if (healthy()) {
      if (this.#stalled) log.info('systemd watchdog: collector progressing again, pings resumed');
      this.#stalled = false;
      this.send([`--status=${status()}`, 'WATCHDOG=1']);
      return;
    }
    if (this.#stalled) return;
    this.#stalled = true;
    log.error('systemd watchdog: collector not ticking, pings withheld (systemd will restart it)');
    this.send(['--status=stalled: no tick lately, watchdog pings withheld']);
  }

  private send(args: string[]): void {
    if (this.#disabled) return;
    const { env, log } = this.deps;
    const exec = this.deps.execFile ?? (nodeExecFile as unknown as ExecFileFn);
    exec('systemd-notify', args, { timeout: NOTIFY_TIMEOUT_MS, env }, (err) => {
      if (!err) {
        this.#failing = false;
        return;
      }
      if (err.code === 'ENOENT') {
        if (!this.#disabled)
          log.warn('systemd-notify not found (package systemd): no readiness, status or watchdog');
        this.#disabled = true;
      } else if (!this.#failing) {
        this.#failing = true;
        log.warn({ args, err: err.message }, 'systemd-notify failed');
      }
    });
  }
}
