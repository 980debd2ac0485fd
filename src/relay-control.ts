/**
 * Relay commands, as the collector runs them: find the device, check it opted in
 * (`devices[].control`), then — queued behind any poll of that plug — set the relay and read
 * the plug again at once, so the caller can publish the new state without waiting for a tick.
 *
 * Failure policy: nothing here throws. An unknown device or one without `control` is logged once
 * per name (a dashboard button pressed repeatedly must not flood the log); a plug error is
 * logged each time, with its stable code.
 */
import type { Logger } from 'pino';
import type { DeviceState } from './device.js';
import { PlugError } from './errors.js';
import type { PlugSample } from './plug/plug.js';
import type { RelayAction } from './relay-command.js';

/** How a command ended. */
export type CommandOutcome = 'switched' | 'unknown-device' | 'not-controlled' | 'failed';

/** The result of {@link RelayControl.run}: the fresh sample when switched. */
export interface CommandResult {
  outcome: CommandOutcome;
  device?: DeviceState;
  sample?: PlugSample;
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
   * @param name the device name from the topic
   * @param action ON, OFF or TOGGLE (TOGGLE flips the last state read; unknown: read first)
   */
  async run(
    devices: readonly DeviceState[],
    name: string,
    action: RelayAction,
  ): Promise<CommandResult> {
    const device = devices.find((d) => d.named && d.info.name === name);
    if (device === undefined || device.config.control !== true) {
      const outcome = device === undefined ? 'unknown-device' : 'not-controlled';
      if (!this.#ignored.has(`${outcome} ${name}`)) {
        this.#ignored.add(`${outcome} ${name}`);
        const why =
          device === undefined ? 'no such device' : 'devices[].control is not true for it';
        this.log.warn({ device: name, action }, `relay command ignored: ${why} (logged once)`);
      }
      return { outcome };
    }
    const { plug } = device;
    try {
      const sample = await device.exclusive(async () => {
        let state = device.relay;
        if (action === 'TOGGLE' && state === undefined) {
          state = (await plug.poll(this.timeoutMs)).values.state;
        }
        const on = action === 'TOGGLE' ? state !== 'ON' : action === 'ON';
        await plug.setRelay(on, this.timeoutMs);
        return plug.poll(this.timeoutMs);
      });
      this.log.info({ device: name, action, state: sample.values.state }, 'relay switched');
      return { outcome: 'switched', device, sample };
    } catch (err) {
      const code = err instanceof PlugError ? err.code : undefined;
      this.log.warn({ device: name, action, code, err }, `relay command failed: ${String(err)}`);
      return { outcome: 'failed', device };
    }
  }
}
