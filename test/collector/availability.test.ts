import { describe, expect, it } from 'vitest';
import { AvailabilityTracker } from '../../src/collector/availability.js';

describe('AvailabilityTracker', () => {
  it('reports online once, offline after N failures in a row, online again on success', () => {
    const a = new AvailabilityTracker(3);
    expect(a.online).toBeUndefined();
    expect(a.success()).toBe('online');
    expect(a.success()).toBeNull();
    expect(a.failure()).toBeNull();
    expect(a.failure()).toBeNull();
    expect(a.failure()).toBe('offline');
    expect(a.failure()).toBeNull();
    expect(a.online).toBe(false);
    expect(a.success()).toBe('online');
    expect(a.failures).toBe(0);
  });

  it('a success resets the failure count', () => {
    const a = new AvailabilityTracker(2);
    a.success();
    a.failure();
    a.success();
    expect(a.failure()).toBeNull();
    expect(a.failure()).toBe('offline');
  });

  it('a plug that never answers is reported offline', () => {
    const a = new AvailabilityTracker(1);
    expect(a.failure()).toBe('offline');
  });
});
