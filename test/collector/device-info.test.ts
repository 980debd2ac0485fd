import { describe, expect, it } from 'vitest';
import { PolledDevice } from '../../src/collector/polled-device.js';
import type { DeviceConfig } from '../../src/config/types.js';
import type { KasaDevice } from '../../src/kasa/device.js';

/**
 * `PolledDevice.info` and `outletInfo` hand sinks one object per device until its name changes:
 * the MQTT sink keeps each device's topics by that object (`reading-encoder.ts`), so a new
 * object per poll would rebuild them on every reading.
 */

function device(over: Partial<DeviceConfig> = {}): PolledDevice {
  const config: DeviceConfig = { host: '10.0.0.9', port: 9999, ...over };
  const plug = { target: '10.0.0.9:9999', poll: () => Promise.reject(new Error('unused')) };
  return new PolledDevice(config, 3, plug as unknown as KasaDevice);
}

describe('PolledDevice.info', () => {
  it('is the same frozen object from poll to poll', () => {
    const d = device({ name: 'fridge', node: 5, control: true });
    const first = d.info;
    expect(first).toEqual({ name: 'fridge', host: '10.0.0.9', port: 9999, node: 5, control: true });
    expect(d.info).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { name: string }).name = 'other';
    }).toThrow(TypeError);
  });

  it('is built again when the stand-in name or the settled name changes', () => {
    const d = device();
    const standIn = d.info;
    expect(standIn.name).toBe('10_0_0_9');
    d.standIn(new Set(['10_0_0_9']));
    const moved = d.info;
    expect(moved).not.toBe(standIn);
    expect(moved.name).not.toBe('10_0_0_9');
    d.settleName({ alias: 'Fridge' }, new Set());
    const named = d.info;
    expect(named.name).toBe('fridge');
    expect(named).not.toBe(moved);
    expect(d.info).toBe(named);
  });

  it('keeps one outlet info per outlet until the strip is renamed', () => {
    const d = device({ outlets: [{ node: 7 }] });
    const [[outlet]] = d.settleOutlets([{ id: '00', position: 1, alias: 'TV', values: {} }]) as [
      [Parameters<PolledDevice['outletInfo']>[0], boolean],
    ];
    const info = d.outletInfo(outlet);
    expect(info).toEqual({ name: '10_0_0_9', host: '10.0.0.9', port: 9999, node: 7, outlet });
    expect(d.outletInfo(outlet)).toBe(info);
    d.settleName({ alias: 'Office strip' }, new Set());
    const renamed = d.outletInfo(outlet);
    expect(renamed).not.toBe(info);
    expect(renamed.name).toBe('office_strip');
  });
});
