import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { PlugErrorCode } from '../../src/errors.js';
import type { SimFaults } from '../../src/sim/faults.js';
import { SimulatedPlug } from '../../src/sim/plug.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { memoryLogger } from '../fakes/memory-log.js';
import { RecordingSink } from '../fakes/recording-sink.js';
import { waitFor } from '../fakes/wait.js';

/**
 * Every plug fault, through the whole collector: the faulty plug's poll fails with its stable
 * code, the healthy plug's reading of the same tick is delivered (before the faulty plug's
 * deadline when the fault is a hang), the faulty plug goes offline after `offlineAfter` failures
 * and online again on the next good poll, and the log has one line per state change.
 */

const TIMEOUT_S = 0.4;

const FAULTS: [string, string, Partial<SimFaults>][] = [
  ['connection refused', PlugErrorCode.REFUSED, { refuse: true }],
  ['accept and never answer', PlugErrorCode.TIMEOUT, { hang: true }],
  ['one byte per 100 ms (slow drip past the deadline)', PlugErrorCode.TIMEOUT, { dripMs: 100 }],
  ['close before the header', PlugErrorCode.CLOSED, { closeEarly: true }],
  ['close mid-body', PlugErrorCode.CLOSED, { closeMidBody: true }],
  ['length 0', PlugErrorCode.BAD_LENGTH, { badLength: 0 }],
  ['length 0xFFFFFFFF', PlugErrorCode.BAD_LENGTH, { badLength: 0xffffffff }],
  ['random bytes', PlugErrorCode.BAD_LENGTH, { garbage: true }],
  ['valid frame holding invalid JSON', PlugErrorCode.BAD_JSON, { invalidJson: true }],
  ['JSON that is not an object', PlugErrorCode.BAD_JSON, { rawReply: '[1,2,3]' }],
  [
    'err_code at module level',
    PlugErrorCode.DEVICE_ERROR,
    { errCode: { level: 'module', code: -1, msg: 'module not support' } },
  ],
  [
    'err_code at method level',
    PlugErrorCode.DEVICE_ERROR,
    { errCode: { level: 'method', code: -2, msg: 'member not support' } },
  ],
  [
    'emeter fields null',
    PlugErrorCode.BAD_REPLY,
    { emeterFields: { power_mw: null, voltage_mv: null } },
  ],
  [
    'emeter fields as strings',
    PlugErrorCode.BAD_REPLY,
    { emeterFields: { power_mw: '12', voltage_mv: '230000' } },
  ],
  [
    'emeter fields all missing',
    PlugErrorCode.BAD_REPLY,
    {
      emeterFields: {
        power_mw: undefined,
        voltage_mv: undefined,
        current_ma: undefined,
        total_wh: undefined,
      },
    },
  ],
  [
    'a reply for a module that was not asked',
    PlugErrorCode.BAD_REPLY,
    { extraModule: { cnCloud: { get_info: { err_code: 0 } } } },
  ],
];

describe('plug faults through the collector', () => {
  let healthy: SimulatedPlug;
  let faulty: SimulatedPlug;

  beforeAll(async () => {
    healthy = new SimulatedPlug({ profile: 'hs110v1', alias: 'Healthy' });
    faulty = new SimulatedPlug({ profile: 'hs110v4', alias: 'Faulty' });
    await healthy.start();
    await faulty.start();
  });

  afterAll(async () => {
    await healthy.stop();
    await faulty.stop();
  });

  it.each(FAULTS)('%s → %s', async (_name, code, faults) => {
    const clock = new ManualClock(1_700_000_000_000);
    const sink = new RecordingSink();
    const mem = memoryLogger('debug');
    const collector = new Collector(
      {
        poll: { interval: 1, timeout: TIMEOUT_S, concurrency: 4, offlineAfter: 2 },
        devices: [
          { host: '127.0.0.1', port: healthy.port, name: 'healthy' },
          { host: '127.0.0.1', port: faulty.port, name: 'faulty' },
        ],
      },
      { clock, log: mem.log, sink },
    );
    await collector.start();
    await collector.pollNow(100); // both good: online
    await faulty.setFaults(faults);
    const openBefore = faulty.connections;
    const t0 = Date.now();
    const healthyAt: number[] = [];
    const origWrite = sink.write.bind(sink);
    sink.write = (r) => {
      if (r.device.name === 'healthy') healthyAt.push(Date.now() - t0);
      origWrite(r);
    };
    await collector.pollNow(101);
    await collector.pollNow(102); // second failure: offline
    await faulty.clearFaults();
    await collector.pollNow(103); // good again: online
    await collector.stop();

    const failures = mem.lines.filter(
      (l) => l['device'] === 'faulty' && l['level'] === 20 && l['code'],
    );
    expect(failures.map((l) => l['code'])).toEqual([code, code]);
    expect(sink.readings.filter((r) => r.device.name === 'healthy').map((r) => r.time)).toEqual([
      100, 101, 102, 103,
    ]);
    expect(sink.readings.filter((r) => r.device.name === 'faulty').map((r) => r.time)).toEqual([
      100, 103,
    ]);
    expect(sink.availability_.filter((a) => a.name === 'faulty').map((a) => a.online)).toEqual([
      true,
      false,
      true,
    ]);
    const changes = mem.lines.filter(
      (l) =>
        l['device'] === 'faulty' &&
        (l['msg'] === 'plug online' || String(l['msg']).startsWith('plug offline')),
    );
    expect(changes).toHaveLength(3);
    expect(changes[1]).toMatchObject({ code });
    if (faults.hang || faults.dripMs) {
      // The healthy plug's reading did not wait for the faulty plug's deadline.
      expect(healthyAt[0]).toBeLessThan(TIMEOUT_S * 1000);
    }
    // No connection left open on the faulty plug once the polls are over.
    await waitFor(() => faulty.connections <= openBefore, 5000, 'the faulty plug to see closes');
    expect(faulty.connections).toBeLessThanOrEqual(openBefore);
  });
});
