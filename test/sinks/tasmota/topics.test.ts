import { describe, expect, it } from 'vitest';
import {
  tasmotaLwtMessage,
  tasmotaReadingMessages,
  tasmotaTime,
} from '../../../src/sinks/tasmota/topics.js';
import { makeReading } from '../helpers.js';

describe('Tasmota layout', () => {
  it('publishes SENSOR with ENERGY and STATE with POWER, stamped with the tick', () => {
    const r = makeReading({
      time: 1_700_000_010,
      values: {
        power: 12.5,
        energy: 1.234,
        energy_total: 41.5,
        voltage: 230.1,
        current: 0.123,
        state: 'ON',
        rssi: -60,
      },
    });
    expect(tasmotaReadingMessages(r)).toEqual([
      {
        topic: 'tele/fridge/SENSOR',
        payload:
          '{"Time":"2023-11-14T22:13:30Z","ENERGY":{"Total":41.5,"Power":12.5,"Voltage":230.1,"Current":0.123}}',
        retain: false,
      },
      {
        topic: 'tele/fridge/STATE',
        payload: '{"Time":"2023-11-14T22:13:30Z","POWER":"ON"}',
        retain: false,
      },
    ]);
  });

  it('uses the since-boot energy as Total when there is no lifetime total', () => {
    const [sensor] = tasmotaReadingMessages(makeReading());
    expect(JSON.parse(sensor!.payload).ENERGY.Total).toBe(1.234);
  });

  it('sends no SENSOR for a plug without a meter', () => {
    const r = makeReading({ values: { state: 'OFF', rssi: -50 }, hasEmeter: false });
    expect(tasmotaReadingMessages(r).map((m) => m.topic)).toEqual(['tele/fridge/STATE']);
  });

  it('has a retained LWT Online/Offline', () => {
    const d = makeReading().device;
    expect(tasmotaLwtMessage(d, true)).toEqual({
      topic: 'tele/fridge/LWT',
      payload: 'Online',
      retain: true,
    });
    expect(tasmotaLwtMessage(d, false).payload).toBe('Offline');
    expect(tasmotaTime(0)).toBe('1970-01-01T00:00:00Z');
  });
});
