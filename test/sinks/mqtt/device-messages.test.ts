import { describe, expect, it } from 'vitest';
import { DeviceMessages } from '../../../src/sinks/mqtt/device-messages.js';
import { infoMessage, readingMessages } from '../../../src/sinks/mqtt/topics.js';
import { LEVEL, memoryLogger } from '../../fakes/memory-log.js';
import { makeReading, mqttConfig } from '../helpers.js';

const config = mqttConfig('mqtt://127.0.0.1:1', {
  topicPrefix: 'home/kasa',
  output: 'json_and_attributes',
});

describe('DeviceMessages', () => {
  it("gives a reading's messages, and its info only when it changed", () => {
    const devices = new DeviceMessages(config, memoryLogger().log);
    const reading = makeReading();
    const first = devices.reading(reading);
    expect(first?.messages).toEqual(readingMessages(reading, 'home/kasa'));
    expect(first?.info).toEqual(infoMessage(reading, 'home/kasa'));
    // A new but equal identity object: no new info.
    const again = makeReading({ time: reading.time + 10 });
    expect(again.identity).not.toBe(reading.identity);
    expect(devices.reading(again)?.info).toBeUndefined();
    // A new firmware: info again, with it.
    const updated = makeReading({ identity: { ...reading.identity, sw_ver: '1.6.0' } });
    expect(devices.reading(updated)?.info?.payload).toContain('1.6.0');
    expect(devices.reading(updated)?.info).toBeUndefined();
  });

  it('keeps the last info and availability per device to publish again, info first', () => {
    const devices = new DeviceMessages(config, memoryLogger().log);
    const fridge = makeReading();
    const kettle = makeReading({ device: { name: 'kettle', host: '10.0.0.6', node: 6 } });
    devices.reading(fridge);
    devices.availability(fridge.device, false);
    devices.availability(kettle.device, true);
    devices.availability(fridge.device, true);
    devices.reading(kettle);
    expect([...devices.retained()]).toEqual([
      infoMessage(fridge, 'home/kasa'),
      infoMessage(kettle, 'home/kasa'),
      { topic: 'home/kasa/fridge/availability', payload: 'online', retain: true },
      { topic: 'home/kasa/kettle/availability', payload: 'online', retain: true },
    ]);
    expect(devices.saidOnline('home/kasa/fridge/availability')).toBe(true);
    devices.availability(fridge.device, false);
    expect(devices.saidOnline('home/kasa/fridge/availability')).toBe(false);
    expect(devices.saidOnline('home/kasa/toaster/availability')).toBe(false);
  });

  it('skips a device whose name cannot be a topic level, logging it once', () => {
    const { log, lines } = memoryLogger();
    const devices = new DeviceMessages(config, log);
    const bad = makeReading({ device: { name: 'a/b' } });
    expect(devices.reading(bad)).toBeUndefined();
    expect(devices.reading(bad)).toBeUndefined();
    expect(devices.availability(bad.device, true)).toBeUndefined();
    const errors = lines.filter((l) => l.level === LEVEL.error);
    expect(errors.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^not publishing device 10\.0\.0\.5:9999\/: .*"a\/b"/),
    ]);
    expect([...devices.retained()]).toEqual([]);
  });
});
