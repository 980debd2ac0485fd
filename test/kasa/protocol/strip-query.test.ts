import { describe, expect, it } from 'vitest';
import { PlugError, PlugErrorCode } from '../../../src/errors.js';
import { outletEmeterRequest, parseOutletEmeterReply } from '../../../src/kasa/protocol/iot.js';
import { ReplyFieldError, childrenOf } from '../../../src/kasa/normalize.js';
import { outletRelayRequest } from '../../../src/kasa/protocol/iot-relay.js';

/** The per-outlet requests of a power strip and the checks of their replies (docs/protocol.md). */

const DEVICE_ID = '8006' + 'AB12'.repeat(9);
const CHILD = `${DEVICE_ID}01`;
const TARGET = '10.0.0.9:9999 outlet 2';
const body = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

/** Runs `fn`, expects a PlugError, returns it. */
function plugError(fn: () => unknown): PlugError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PlugError);
  return caught as PlugError;
}

describe('outletEmeterRequest', () => {
  it('asks emeter.get_realtime for one child id in context', () => {
    expect(JSON.parse(outletEmeterRequest(CHILD))).toEqual({
      context: { child_ids: [CHILD] },
      emeter: { get_realtime: {} },
    });
  });

  it('puts context first, as python-kasa does', () => {
    expect(Object.keys(JSON.parse(outletEmeterRequest(CHILD)) as object)).toEqual([
      'context',
      'emeter',
    ]);
  });

  it('escapes an id that holds JSON metacharacters instead of breaking the request', () => {
    const odd = 'a"b\\c';
    expect(JSON.parse(outletEmeterRequest(odd))).toEqual({
      context: { child_ids: [odd] },
      emeter: { get_realtime: {} },
    });
  });
});

describe('outletRelayRequest', () => {
  it.each([
    [true, 1],
    [false, 0],
  ])('on=%s sets state %i for that child only', (on, state) => {
    expect(JSON.parse(outletRelayRequest(CHILD, on))).toEqual({
      context: { child_ids: [CHILD] },
      system: { set_relay_state: { state } },
    });
  });
});

describe('parseOutletEmeterReply', () => {
  const realtime = { voltage_mv: 231200, current_ma: 410, power_mw: 80500, total_wh: 1250 };

  it('returns the get_realtime object of a reply without context', () => {
    const reply = { emeter: { get_realtime: { ...realtime, err_code: 0 } } };
    expect(parseOutletEmeterReply(body(reply), TARGET)).toEqual({ ...realtime, err_code: 0 });
  });

  it('tolerates a context echoed back', () => {
    const reply = {
      context: { child_ids: [CHILD] },
      emeter: { get_realtime: { ...realtime, err_code: 0 } },
    };
    expect(parseOutletEmeterReply(body(reply), TARGET)).toMatchObject(realtime);
  });

  it('reports err_code at module level as PLUG_DEVICE_ERROR', () => {
    const reply = { emeter: { err_code: -1, err_msg: 'module not support' } };
    const err = plugError(() => parseOutletEmeterReply(body(reply), TARGET));
    expect(err.code).toBe(PlugErrorCode.DEVICE_ERROR);
    expect(err.message).toContain(TARGET);
    expect(err.message).toContain('err_code -1');
    expect(err.message).toContain('module not support');
  });

  it('reports err_code at method level (an unknown child id) as PLUG_DEVICE_ERROR', () => {
    const reply = { emeter: { get_realtime: { err_code: -14, err_msg: 'entry not exist' } } };
    const err = plugError(() => parseOutletEmeterReply(body(reply), TARGET));
    expect(err.code).toBe(PlugErrorCode.DEVICE_ERROR);
    expect(err.message).toContain('emeter.get_realtime answered err_code -14');
  });

  it('rejects a module that was not asked as PLUG_BAD_REPLY', () => {
    const reply = {
      system: { get_sysinfo: { err_code: 0 } },
      emeter: { get_realtime: { ...realtime, err_code: 0 } },
    };
    const err = plugError(() => parseOutletEmeterReply(body(reply), TARGET));
    expect(err.code).toBe(PlugErrorCode.BAD_REPLY);
    expect(err.message).toContain('"system"');
  });

  it('rejects a reply without emeter.get_realtime as PLUG_BAD_REPLY', () => {
    const err = plugError(() => parseOutletEmeterReply(body({ emeter: {} }), TARGET));
    expect(err.code).toBe(PlugErrorCode.BAD_REPLY);
    expect(err.message).toContain('emeter.get_realtime');
  });

  it.each(['{"emeter":', 'not json', '', '[1,2]', 'null'])(
    'rejects %j as PLUG_BAD_JSON',
    (text) => {
      const err = plugError(() => parseOutletEmeterReply(body(text), TARGET));
      expect(err.code).toBe(PlugErrorCode.BAD_JSON);
      expect(err.target).toBe(TARGET);
    },
  );
});

describe('childrenOf', () => {
  it('is undefined for a plug without children', () => {
    expect(childrenOf({ deviceId: DEVICE_ID, relay_state: 1 })).toBeUndefined();
  });

  it('reads id, alias and state in children[] order', () => {
    const sysinfo = {
      deviceId: DEVICE_ID,
      children: [
        { id: `${DEVICE_ID}00`, alias: 'Kettle', state: 1 },
        { id: `${DEVICE_ID}01`, alias: 'TV', state: 0 },
        { id: `${DEVICE_ID}02` },
      ],
    };
    expect(childrenOf(sysinfo)).toEqual([
      { id: `${DEVICE_ID}00`, alias: 'Kettle', state: 'ON' },
      { id: `${DEVICE_ID}01`, alias: 'TV', state: 'OFF' },
      { id: `${DEVICE_ID}02` },
    ]);
  });

  it('puts the deviceId in front of a bare index', () => {
    const sysinfo = { deviceId: DEVICE_ID, children: [{ id: '00' }, { id: '01' }, { id: '5' }] };
    expect(childrenOf(sysinfo)?.map((c) => c.id)).toEqual([
      `${DEVICE_ID}00`,
      `${DEVICE_ID}01`,
      `${DEVICE_ID}05`,
    ]);
  });

  it('leaves a full id alone', () => {
    const sysinfo = { deviceId: DEVICE_ID, children: [{ id: 'ABCDEF012' }] };
    expect(childrenOf(sysinfo)?.[0]?.id).toBe('ABCDEF012');
  });

  it('is an empty list for an empty children array', () => {
    expect(childrenOf({ deviceId: DEVICE_ID, children: [] })).toEqual([]);
  });

  it.each([
    ['children not an array', { children: { id: '00' } }, 'children is not an array'],
    ['a child not an object', { children: ['00'] }, 'children[0] is not an object'],
    ['a child that is null', { children: [{ id: '00' }, null] }, 'children[1] is not an object'],
    ['an id that is a number', { children: [{ id: 0 }] }, 'children[0].id is 0'],
    ['an empty id', { children: [{ id: '' }] }, 'children[0].id is ""'],
    ['a missing id', { children: [{ alias: 'x' }] }, 'children[0].id is absent'],
    ['a state that is a string', { children: [{ id: '00', state: 'on' }] }, 'state is "on"'],
  ])('throws ReplyFieldError on %s', (_what, sysinfo, fragment) => {
    let caught: unknown;
    try {
      childrenOf({ deviceId: DEVICE_ID, ...sysinfo });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ReplyFieldError);
    expect((caught as Error).message).toContain(fragment);
  });
});
