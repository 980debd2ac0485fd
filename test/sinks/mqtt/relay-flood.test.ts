import { describe, expect, it } from 'vitest';
import { MqttRelayCommands } from '../../../src/sinks/mqtt/relay-commands.js';
import type { RelayCommand } from '../../../src/sinks/sink.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { memoryLogger } from '../../fakes/memory-log.js';

/** What an MQTT client in a loop can send to `<p>/+/set` costs bounded log and memory. */
function commands() {
  const clock = new ManualClock(1_700_000_000_000);
  const got: RelayCommand[] = [];
  const cap = memoryLogger();
  const ext = new MqttRelayCommands('kasa', (c) => void got.push(c), cap.log, clock);
  return { ext, got, cap, clock };
}

describe('relay commands from a flood', () => {
  it('never hands on a name that cannot be a device (over 64 characters, other characters)', () => {
    const { ext, got, cap } = commands();
    for (let i = 0; i < 60_000; i++) ext.onMessage(`kasa/${i}${'x'.repeat(4096)}/set`, 'ON', false);
    ext.onMessage('kasa/Fridge/set', 'ON', false);
    expect(got).toEqual([]);
    const warned = cap.lines.filter((l) => l.msg.startsWith('relay command ignored'));
    expect(warned).toHaveLength(1);
    expect(cap.text().length).toBeLessThan(2000);
  });

  it('logs malformed payloads once a minute, with the count of those not logged', () => {
    const { ext, got, cap, clock } = commands();
    for (let i = 0; i < 1000; i++) ext.onMessage('kasa/fridge/set', `maybe ${i}`, false);
    expect(got).toEqual([]);
    const malformed = () => cap.lines.filter((l) => l.msg.startsWith('malformed relay command'));
    expect(malformed()).toHaveLength(1);
    clock.advance(60_000);
    ext.onMessage('kasa/fridge/set', 'BOIL', false);
    expect(malformed()).toHaveLength(2);
    expect(malformed()[1]?.msg).toContain('999 similar lines not logged');
  });

  it('logs retained commands once a minute too', () => {
    const { ext, got, cap } = commands();
    for (let i = 0; i < 1000; i++) ext.onMessage('kasa/fridge/set', 'ON', true);
    expect(got).toEqual([]);
    expect(cap.lines.filter((l) => l.msg.startsWith('retained relay command'))).toHaveLength(1);
  });
});
