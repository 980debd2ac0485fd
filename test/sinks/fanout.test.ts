import { describe, expect, it } from 'vitest';
import type { DeviceInfo, Reading } from '../../src/reading.js';
import { Fanout } from '../../src/sinks/fanout.js';
import type { PollObserver, Sink } from '../../src/sinks/sink.js';
import { makeReading } from './helpers.js';
import { memoryLogger } from '../fakes/memory-log.js';

class RecordingSink implements Sink {
  readonly readings: Reading[] = [];
  readonly availabilities: [string, boolean][] = [];
  started = false;
  stopped = false;
  constructor(
    readonly name: string,
    private readonly fail: { start?: boolean; write?: boolean; stop?: boolean } = {},
  ) {}
  async start(): Promise<void> {
    if (this.fail.start) throw new Error(`${this.name} cannot start`);
    this.started = true;
  }
  write(reading: Reading): void {
    if (this.fail.write) throw new Error(`${this.name} broke`);
    this.readings.push(reading);
  }
  availability(device: DeviceInfo, online: boolean): void {
    if (this.fail.write) throw new Error(`${this.name} broke`);
    this.availabilities.push([device.name, online]);
  }
  stop(): Promise<void> {
    if (this.fail.stop) throw new Error(`${this.name} cannot stop`); // synchronous throw
    this.stopped = true;
    return Promise.resolve();
  }
}

describe('Fanout', () => {
  it('gives every reading and availability to every sink; a throwing sink is logged, not fatal', () => {
    const { log, lines } = memoryLogger();
    const a = new RecordingSink('a');
    const bad = new RecordingSink('bad', { write: true });
    const b = new RecordingSink('b');
    const fanout = new Fanout([a, bad, b], log);
    const r = makeReading();
    expect(() => fanout.write(r)).not.toThrow();
    expect(() => fanout.availability(r.device, false)).not.toThrow();
    expect(a.readings).toEqual([r]);
    expect(b.readings).toEqual([r]);
    expect(b.availabilities).toEqual([['fridge', false]]);
    expect(lines.filter((l) => l.level === 50).map((l) => [l.msg, l['failed']])).toEqual([
      ['sink write failed', 'bad'],
      ['sink availability failed', 'bad'],
    ]);
  });

  it('forwards poll outcomes, spikes and completed ticks to the sinks that observe them only', () => {
    const { log, lines } = memoryLogger();
    const heard: string[] = [];
    const observer = (name: string, fail = false): Sink & PollObserver => {
      const sink = new RecordingSink(name) as RecordingSink & PollObserver;
      sink.poll = (d, code) => {
        if (fail) throw new Error('broke');
        heard.push(`${name} poll ${d.name} ${code ?? 'ok'}`);
      };
      sink.spike = (d, field) => void heard.push(`${name} spike ${d.name} ${field}`);
      sink.tickDone = (tick) => void heard.push(`${name} tick ${tick}`);
      return sink;
    };
    const fanout = new Fanout(
      [new RecordingSink('plain'), observer('bad', true), observer('m')],
      log,
    );
    const { device } = makeReading();
    fanout.poll(device, 'PLUG_TIMEOUT', 0.5, 'no reply');
    fanout.spike(device, 'power');
    fanout.tickDone(1_700_000_010);
    expect(heard).toEqual([
      'm poll fridge PLUG_TIMEOUT',
      'bad spike fridge power',
      'm spike fridge power',
      'bad tick 1700000010',
      'm tick 1700000010',
    ]);
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(['sink poll failed']);
  });

  it('starts all sinks even when one fails, then rejects naming it', async () => {
    const a = new RecordingSink('a');
    const bad = new RecordingSink('mqtt', { start: true });
    const b = new RecordingSink('b');
    const fanout = new Fanout([a, bad, b], memoryLogger().log);
    await expect(fanout.start()).rejects.toThrow('sinks failed to start: mqtt');
    expect(a.started && b.started).toBe(true);
  });

  it('stops all sinks even when one throws, and resolves', async () => {
    const { log, lines } = memoryLogger();
    const a = new RecordingSink('a');
    const bad = new RecordingSink('bad', { stop: true });
    const b = new RecordingSink('b');
    await new Fanout([a, bad, b], log).stop();
    expect(a.stopped && b.stopped).toBe(true);
    expect(lines.some((l) => l.msg === 'sink bad failed to stop')).toBe(true);
  });
});
