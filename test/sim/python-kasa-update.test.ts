/**
 * What python-kasa's IOT client asks on every update, answered as a real plug does: its
 * `IotPlug` adds the `time` module (`get_time`, `get_timezone`; `kasa/iot/modules/time.py`) and,
 * with an emeter, `get_daystat` / `get_monthstat` beside `get_realtime` (`usage.py`); a module
 * the plug lacks answers at module level, which python-kasa reads as "not supported". Before the
 * simulator answered `time`, `kasa --type plug state` failed with "Raised error: 'Time'".
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../fakes/manual-clock.js';
import { ask, plugStarter, type Json } from './helpers.js';

const started = plugStarter();
const T = Date.UTC(2024, 5, 3, 14, 5, 9);

describe('python-kasa IotPlug update', () => {
  it('answers time, the emeter statistics and unknown modules as real plugs do', async () => {
    const clock = new ManualClock(T);
    const plug = await started({ profile: 'kp115', alias: 'Desk', now: () => clock.now() });
    clock.advance(60_000);
    const reply = await ask(plug, {
      system: { get_sysinfo: {} },
      time: { get_time: {}, get_timezone: {} },
      emeter: {
        get_realtime: {},
        get_daystat: { year: 2024, month: 6 },
        get_monthstat: { year: 2024 },
      },
      schedule: { get_rules: {}, get_next_action: {} },
      cnCloud: { get_info: {} },
    });
    expect((reply['time'] as Json)['get_time']).toEqual({
      year: 2024,
      month: 6,
      mday: 3,
      hour: 14,
      min: 6,
      sec: 9,
      err_code: 0,
    });
    expect((reply['time'] as Json)['get_timezone']).toEqual({ index: 38, err_code: 0 });
    const emeter = reply['emeter'] as Json;
    const total = (emeter['get_realtime'] as Json)['total_wh'];
    expect(emeter['get_daystat']).toEqual({
      day_list: [{ year: 2024, month: 6, day: 3, energy_wh: total }],
      err_code: 0,
    });
    expect(emeter['get_monthstat']).toEqual({
      month_list: [{ year: 2024, month: 6, energy_wh: total }],
      err_code: 0,
    });
    expect(reply['schedule']).toEqual({ err_code: -1, err_msg: 'module not support' });
    expect(reply['cnCloud']).toEqual({ err_code: -1, err_msg: 'module not support' });
  });

  it('answers the statistics of a legacy emeter in kWh', async () => {
    const plug = await started({ profile: 'hs110v1', alias: 'Fridge', now: () => T });
    const reply = await ask(plug, { emeter: { get_daystat: { year: 2024, month: 6 } } });
    const list = ((reply['emeter'] as Json)['get_daystat'] as Json)['day_list'] as Json[];
    expect(list[0]).toMatchObject({ year: 2024, month: 6, day: 3, energy: expect.any(Number) });
  });
});
