import { describe, expect, it } from 'vitest';
import { MAX_DEVICES, StatusBoard, deviceKey } from '../../../src/sinks/status/board.js';
import type { DeviceInfo } from '../../../src/reading.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { makeReading } from '../helpers.js';

const T0 = 1_700_000_000_000;

function board(): { board: StatusBoard; clock: ManualClock } {
  const clock = new ManualClock(T0);
  return { board: new StatusBoard(10, clock), clock };
}

const PLUG: DeviceInfo = { name: '10_0_0_5', host: '10.0.0.5', port: 9999 };

describe('status board', () => {
  it('keys a device by address, so failures before it was named and readings after are one row', () => {
    const { board: b, clock } = board();
    b.poll(PLUG, 'PLUG_TIMEOUT', 'no answer from 10.0.0.5:9999 within 2000 ms');
    clock.advance(10_000);
    b.poll({ ...PLUG, name: 'fridge' }, undefined, undefined);
    b.availability({ ...PLUG, name: 'fridge' }, true);
    b.reading(makeReading());
    const [d, ...rest] = b.devices();
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      id: '10.0.0.5:9999',
      name: 'fridge',
      alias: 'Fridge',
      model: 'HS110(EU)',
      online: true,
      since: new Date(T0 + 10_000).toISOString(),
      polls: { ok: 1, failed: 1 },
      error: { code: 'PLUG_TIMEOUT', at: new Date(T0).toISOString() },
      reading: { time: '2023-11-14T22:13:20.000Z', power: 12.5, voltage: 230.1 },
      power: [[1_700_000_000, 12.5]],
    });
  });

  it('keeps the power of each reading for the sparkline, one per tick', () => {
    const { board: b, clock } = board();
    for (let i = 0; i < 5; i++)
      b.reading(makeReading({ time: 1_700_000_000 + i * 10, values: { power: i } }));
    clock.set(1_700_000_040_000);
    expect(b.devices()[0]?.power).toEqual([0, 1, 2, 3, 4].map((i) => [1_700_000_000 + i * 10, i]));
  });

  it('gives an outlet its own row, without polls (its strip is polled)', () => {
    const { board: b } = board();
    const outlet = { ...PLUG, name: 'strip', outlet: { name: 'tv', position: 2, id: 'x02' } };
    b.reading(makeReading({ device: outlet }));
    expect(deviceKey(outlet)).toBe('10.0.0.5:9999/2');
    expect(b.devices()[0]).toMatchObject({ name: 'strip/tv', outlet: 2, polls: null });
  });

  it('cuts long error messages, forgets removed devices and stays bounded', () => {
    const { board: b } = board();
    b.poll(PLUG, 'PLUG_BAD_REPLY', 'x'.repeat(10_000));
    expect(b.devices()[0]?.error?.message).toHaveLength(300);
    b.removed(PLUG);
    expect(b.size).toBe(0);
    for (let i = 0; i < MAX_DEVICES + 5; i++)
      b.poll({ ...PLUG, port: i + 1 }, undefined, undefined);
    expect(b.size).toBe(MAX_DEVICES);
  });

  it('tracks changes only while asked to (a live page is open)', () => {
    const { board: b } = board();
    b.reading(makeReading());
    expect(b.takeChanges()).toEqual({ devices: [], removed: [] });
    b.track(true);
    b.reading(makeReading({ time: 1_700_000_010, values: { power: 3 } }));
    const { devices } = b.takeChanges();
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ name: 'fridge', point: [1_700_000_010, 3] });
    expect(devices[0]).not.toHaveProperty('power');
    expect(b.takeChanges().devices).toEqual([]);
    b.removed(makeReading().device);
    expect(b.takeChanges()).toEqual({ devices: [], removed: ['10.0.0.5:9999'] });
    b.track(false);
    b.reading(makeReading());
    expect(b.takeChanges().devices).toEqual([]);
  });
});
