import { describe, expect, it, vi } from 'vitest';
import * as discovery from '../../../src/sinks/homeassistant/discovery.js';
import { HaDiscovery } from '../../../src/sinks/homeassistant/extension.js';
import type { MqttMessage } from '../../../src/sinks/mqtt/topics.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { makeReading } from '../helpers.js';

const CTX = { haPrefix: 'homeassistant', topicPrefix: 'kasa', version: '1.2.3' };

function announcer(): { ha: HaDiscovery; sent: MqttMessage[] } {
  const sent: MqttMessage[] = [];
  const ha = new HaDiscovery(CTX, (m) => sent.push(m), memoryLogger('info').log);
  return { ha, sent };
}

const cmpsOf = (m: MqttMessage | undefined): string[] =>
  Object.keys((JSON.parse(m?.payload ?? '{}') as { cmps?: object }).cmps ?? {});

describe('Home Assistant announcements per reading', () => {
  it('announces once, then stays quiet while polls bring equal (not identical) identities', () => {
    const { ha, sent } = announcer();
    const build = vi.spyOn(discovery, 'discoveryMessage');
    ha.onReading(makeReading());
    expect(sent).toHaveLength(1);
    const before = build.mock.calls.length;
    expect(before).toBe(1);
    for (let i = 1; i <= 5; i++) ha.onReading(makeReading({ time: 1_700_000_000 + i }));
    expect(sent).toHaveLength(1);
    // Equal identity, device and fields: the message is not even rebuilt.
    expect(build.mock.calls.length).toBe(before);
    build.mockRestore();
  });

  it('re-announces when a field appears, and keeps it when a reading lacks it', () => {
    const { ha, sent } = announcer();
    ha.onReading(makeReading({ values: { power: 1, state: 'ON' } }));
    ha.onReading(makeReading({ values: { power: 1, energy_total: 2, state: 'ON' } }));
    expect(sent).toHaveLength(2);
    expect(cmpsOf(sent[1])).toEqual(['power', 'energy_total', 'relay_state']);
    ha.onReading(makeReading({ values: { state: 'ON' } }));
    expect(sent).toHaveLength(2);
    expect(cmpsOf(ha.messages[0])).toEqual(['power', 'energy_total', 'relay_state']);
  });

  it('re-announces when the firmware, the alias or control change', () => {
    const { ha, sent } = announcer();
    const identity = makeReading().identity;
    ha.onReading(makeReading());
    ha.onReading(makeReading({ identity: { ...identity, sw_ver: '1.6.0' } }));
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[1]!.payload)).toMatchObject({ dev: { sw_version: '1.6.0' } });
    ha.onReading(makeReading({ identity: { ...identity, sw_ver: '1.6.0', alias: 'Cellar' } }));
    expect(JSON.parse(sent[2]!.payload)).toMatchObject({ dev: { name: 'Cellar' } });
    ha.onReading(
      makeReading({
        identity: { ...identity, sw_ver: '1.6.0', alias: 'Cellar' },
        device: { control: true },
      }),
    );
    expect(sent).toHaveLength(4);
    expect(cmpsOf(sent[3])).toContain('relay');
  });

  it('a changed device that gives the same message publishes nothing', () => {
    const { ha, sent } = announcer();
    ha.onReading(makeReading());
    // The emonhub node is not part of the discovery message.
    ha.onReading(makeReading({ device: { node: 9 } }));
    ha.onReading(makeReading({ device: { node: 9 } }));
    expect(sent).toHaveLength(1);
  });
});
