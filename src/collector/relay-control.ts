/**
 * Relay commands, as the collector runs them: find the device (or a strip's outlet), check it opted in
 * (`devices[].control`), then — queued behind any poll of that plug — set the relay and read
 * the plug again at once, so the caller can publish the new relay position without waiting for
 * a tick.
 *
 * Failure policy: nothing here throws. An unknown device or one without `control` is logged once
 * per name (a dashboard button pressed repeatedly must not flood the log); a plug error is
 * logged each time, with its stable code (`INTERNAL_ERROR` for anything that is not a plug's).
 */
import type { Logger } from 'pino';
import type { PolledDevice } from './polled-device.js';
import { PlugError, PollErrorCode } from '../errors.js';
import type { DeviceSample } from '../kasa/device.js';
import type { RelayState } from '../reading.js';
import type { RelayCommand } from '../sinks/sink.js';

/** How a command ended. */
export type RelayCommandOutcome = 'switched' | 'unknown-device' | 'not-controlled' | 'failed';

/** The result of {@link RelayControl.run}: the fresh sample when switched. */
export interface RelayCommandResult {
  outcome: RelayCommandOutcome;
  device?: PolledDevice;
  sample?: DeviceSample;
}

/** Runs relay commands against the collector's devices. */
export class RelayControl {
  readonly #ignored = new Set<string>();

  /**
   * @param timeoutMs deadline of each request (the set, then the re-poll), ms
   * @param log the collector's logger
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * @param devices the current devices
   * @param command the device (and a strip's outlet, switched with `context.child_ids`) and the
   *   action: ON, OFF or TOGGLE (TOGGLE flips the relay as last read; unknown: read first)
   */
  async run(devices: readonly PolledDevice[], command: RelayCommand): Promise<RelayCommandResult> {
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
      if (!this.#ignored.has(`${outcome} ${name}`)) {
        this.#ignored.add(`${outcome} ${name}`);
        const why = unknown
          ? outletName !== undefined
            ? 'no such outlet'
            : device === undefined
              ? 'no such device'
              : 'a power strip is switched per outlet, on <prefix>/<strip>/<outlet>/set'
          : 'devices[].control is not true for it';
        this.log.warn({ device: name, action }, `relay command ignored: ${why} (logged once)`);
      }
      return { outcome };
    }
    const { client } = device;
    const relayOf = (sample: DeviceSample): RelayState | undefined =>
      outlet === undefined
        ? sample.values.state
        : sample.outlets?.find((o) => o.id === outlet.id)?.values.state;
    try {
      const sample = await device.exclusive(async () => {
        let relay = outlet === undefined ? device.relay : undefined;
        if (action === 'TOGGLE' && relay === undefined) {
          relay = relayOf(await client.poll(this.timeoutMs));
        }
        const on = action === 'TOGGLE' ? relay !== 'ON' : action === 'ON';
        await client.setRelay(on, this.timeoutMs, outlet?.id);
        return client.poll(this.timeoutMs);
      });
      this.log.info({ device: name, action, state: relayOf(sample) }, 'relay switched');
      return { outcome: 'switched', device, sample };
    } catch (err) {
      // A rejection that is not a PlugError is a bug in this path, not the plug's answer.
      const code = err instanceof PlugError ? err.code : PollErrorCode.INTERNAL;
      this.log.warn({ device: name, action, code, err }, `relay command failed: ${String(err)}`);
      return { outcome: 'failed', device };
    }
  }
}
