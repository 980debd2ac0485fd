import { describe, expect, it } from 'vitest';
import { PlugError } from '../../../src/errors.js';
import { timeLeft } from '../../../src/kasa/transport/deadline.js';
import { authError } from '../../../src/kasa/transport/auth-backoff.js';
import {
  DEFAULT_SESSION_S,
  HttpSessionHolder,
  httpStatusError,
  renewAt,
  sessionCookie,
} from '../../../src/kasa/transport/http-session.js';
import { ManualClock } from '../../fakes/manual-clock.js';

describe('renewAt', () => {
  it('renews a day-long session 20 minutes before its end', () => {
    expect(renewAt(1_000, { TIMEOUT: '86400' })).toBe(1_000 + 86_400_000 - 20 * 60_000);
  });

  it('renews a short session a quarter of its life early', () => {
    expect(renewAt(0, { TIMEOUT: '600' })).toBe(600_000 - 150_000);
  });

  it.each<Record<string, string>>([{}, { TIMEOUT: 'soon' }, { TIMEOUT: '0' }, { TIMEOUT: '-5' }])(
    'takes a day when the cookie is %j',
    (cookies) => {
      expect(renewAt(0, cookies)).toBe(DEFAULT_SESSION_S * 1000 - 20 * 60_000);
    },
  );
});

describe('sessionCookie', () => {
  it('sends the id back as TP_SESSIONID, nothing without one', () => {
    expect(sessionCookie('ABC')).toBe('TP_SESSIONID=ABC');
    expect(sessionCookie(undefined)).toBeUndefined();
  });
});

describe('httpStatusError', () => {
  it('is a PLUG_DEVICE_ERROR naming the exchange and the status', () => {
    const err = httpStatusError('127.0.0.1:80', 'KLAP request', 500, ' after a fresh handshake');
    expect(err).toBeInstanceOf(PlugError);
    expect(err.code).toBe('PLUG_DEVICE_ERROR');
    expect(err.target).toBe('127.0.0.1:80');
    expect(err.message).toContain('KLAP request answered HTTP 500 after a fresh handshake');
  });
});

describe('timeLeft', () => {
  it('gives each step what is left of one deadline, never less than 1 ms', () => {
    const clock = new ManualClock(0);
    const left = timeLeft(clock, 1_000);
    expect(left()).toBe(1_000);
    clock.advance(300);
    expect(left()).toBe(700);
    clock.advance(5_000);
    expect(left()).toBe(1);
  });
});

describe('HttpSessionHolder', () => {
  const address = { host: '127.0.0.1', port: 80 };
  interface S {
    id: number;
    renewAt: number;
    usable: boolean;
  }

  /** A holder whose sessions live 1 s, numbered as opened, with the deadlines given. */
  function holder(clock: ManualClock): { h: HttpSessionHolder<S>; deadlines: number[] } {
    const deadlines: number[] = [];
    let opened = 0;
    const h = new HttpSessionHolder<S>(
      address,
      clock,
      (timeoutMs) => {
        deadlines.push(timeoutMs);
        return Promise.resolve({ id: ++opened, renewAt: clock.monotonic() + 1_000, usable: true });
      },
      (s) => s.usable,
    );
    return { h, deadlines };
  }

  it('reuses the session until its renewal time, then opens a new one', async () => {
    const clock = new ManualClock(0);
    const { h, deadlines } = holder(clock);
    expect(h.target).toBe('127.0.0.1:80');
    expect((await h.live(500)).id).toBe(1);
    clock.advance(999);
    expect((await h.live(500)).id).toBe(1);
    clock.advance(1);
    expect((await h.live(400)).id).toBe(2);
    expect(deadlines).toEqual([500, 400]);
    h.close();
  });

  it('opens a new one after drop() or when the session says it is spent', async () => {
    const clock = new ManualClock(0);
    const { h } = holder(clock);
    const first = await h.live(500);
    h.drop();
    const second = await h.live(500);
    expect(second.id).toBe(2);
    second.usable = false;
    expect((await h.live(500)).id).toBe(3);
    expect(first.id).toBe(1);
    h.close();
  });

  it('begin() refuses while the account back-off lasts, else starts the deadline', () => {
    const clock = new ManualClock(0);
    const { h } = holder(clock);
    const left = h.begin(1_000);
    clock.advance(250);
    expect(left()).toBe(750);
    h.backoff.fail(authError(h.target, undefined, 'KLAP'));
    expect(() => h.begin(1_000)).toThrow(/not retried for another 60 s/);
    h.close();
  });
});
