import { describe, expect, it } from 'vitest';
import { PlugError } from '../../../src/errors.js';
import { timeLeft } from '../../../src/kasa/transport/deadline.js';
import {
  DEFAULT_SESSION_S,
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
