/**
 * What a device client yields, and the contract every client meets: the IOT client
 * (`device.ts`), the SMART client (`smart-device.ts`) and the one that finds which of them a plug
 * needs (`connect.ts`). The collector sees devices through {@link DeviceClient} only, so it never
 * knows which protocol or transport a plug speaks.
 */
import type { Measurement, PlugIdentity } from '../reading.js';

/** One outlet of a power strip in a {@link DeviceSample}. */
export interface OutletSample {
  /** The child id (`context.child_ids` for IOT strips, `device_id` for SMART ones). */
  id: string;
  /** 1-based position, in the strip's child order. */
  position: number;
  /** The child's alias (IOT `alias`, SMART `nickname` decoded). */
  alias?: string;
  /** `state` from the child's entry; V, A, W, kWh from its own energy request when it has one. */
  values: Measurement;
}

/** What one successful poll of a device yields, before it is stamped with a tick and a name. */
export interface DeviceSample {
  identity: PlugIdentity;
  /** For a strip: its own values only (`rssi`); the outlets carry the rest. */
  values: Measurement;
  hasEmeter: boolean;
  /** Present for a power strip: every outlet, in position order. */
  outlets?: OutletSample[];
}

/** One device as the collector talks to it. Not safe for concurrent calls. */
export interface DeviceClient {
  /** `host:port`, for messages. */
  readonly target: string;
  /**
   * Reads the device once.
   * @param timeoutMs deadline for the whole poll, ms
   * @returns normalized values (W, V, A, kWh, ON/OFF, dBm), identity, outlets of a strip
   * @throws PlugError with a stable code
   */
  poll(timeoutMs: number): Promise<DeviceSample>;
  /**
   * Switches the relay (of one outlet, with `childId`).
   * @param on true: relay on; false: off
   * @param timeoutMs deadline, ms
   * @param childId a strip outlet's id ({@link OutletSample.id})
   * @throws PlugError with a stable code
   */
  setRelay(on: boolean, timeoutMs: number, childId?: string): Promise<void>;
  /** Releases the connection (the next request reopens it). Idempotent. */
  close(): void;
}
