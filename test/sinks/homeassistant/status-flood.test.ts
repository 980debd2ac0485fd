import { describe, expect, it } from 'vitest';
import { HaDiscovery, REANNOUNCE_GAP_MS } from '../../../src/sinks/homeassistant/extension.js';
import type { MqttMessage } from '../../../src/sinks/mqtt/topics.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { makeReading } from '../helpers.js';

const CTX = { haPrefix: 'homeassistant', topicPrefix: 'kasa', version: '1.2.3' };

/** Four announced devices, and what is published from then on. */
function fourDevices() {
  const clock = new ManualClock(1_700_000_000_000);
  const sent: MqttMessage[] = [];
  const mem = memoryLogger('info');
  const ha = new HaDiscovery(CTX, (m) => sent.push(m), mem.log, clock);
  for (let i = 1; i <= 4; i++) {
    const mac = `50:C7:BF:00:00:0${i}`;
    ha.onReading(makeReading({ device: { name: `plug${i}` }, identity: { mac } }));
  }
  sent.length = 0;
  return { ha, sent, clock, mem };
}

describe('homeassistant/status online, debounced', () => {
  it('1000 "online" messages at once re-announce every device once, not 1000 times', () => {
    const { ha, sent, mem } = fourDevices();
    for (let i = 0; i < 1000; i++) ha.onMessage('homeassistant/status', 'online');
    expect(sent).toHaveLength(4);
    expect(mem.lines.filter((l) => l.msg.includes('re-announcing'))).toHaveLength(1);
  });

  it('an "online" within the gap is not lost: it is served at the first reading after the gap', () => {
    const { ha, sent, clock } = fourDevices();
    ha.onMessage('homeassistant/status', 'online');
    expect(sent).toHaveLength(4);
    clock.advance(1000);
    ha.onMessage('homeassistant/status', 'online'); // HA restarted again
    expect(sent).toHaveLength(4);
    clock.advance(REANNOUNCE_GAP_MS - 2000);
    ha.onReading(
      makeReading({ device: { name: 'plug1' }, identity: { mac: '50:C7:BF:00:00:01' } }),
    );
    expect(sent).toHaveLength(4);
    clock.advance(1000);
    ha.onReading(
      makeReading({ device: { name: 'plug1' }, identity: { mac: '50:C7:BF:00:00:01' } }),
    );
    expect(sent).toHaveLength(8);
    clock.advance(REANNOUNCE_GAP_MS);
    ha.onMessage('homeassistant/status', 'online');
    expect(sent).toHaveLength(12);
  });
});
