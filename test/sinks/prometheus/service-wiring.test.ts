import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config/load.js';
import { type Config } from '../../../src/config/types.js';
import { MetricsSink } from '../../../src/sinks/prometheus/sink.js';
import { buildSinks } from '../../../src/main.js';
import { memoryLogger } from '../../fakes/memory-log.js';
import { family } from './helpers.js';

/** `http.enabled` adds the metrics sink last, watching the backlogs of the sinks before it. */
describe('buildSinks: http', () => {
  const { log } = memoryLogger('silent');
  const config = (http: Partial<Config['http']>): Config => {
    const defaults = loadConfig({ env: {} });
    return {
      ...defaults,
      mqtt: { ...defaults.mqtt, enabled: true },
      http: { ...defaults.http, ...http },
    };
  };

  it('adds no metrics sink by default', () => {
    const sinks = buildSinks(config({}), log, systemClock);
    expect(sinks.map((s) => s.name)).toEqual(['mqtt']);
  });

  it('adds the metrics sink after the others, reporting the MQTT outbox; the status page last', async () => {
    const sinks = buildSinks(config({ enabled: true, port: 0 }), log, systemClock);
    expect(sinks.map((s) => s.name)).toEqual(['mqtt', 'metrics', 'status']);
    const metrics = sinks[1] as MetricsSink;
    expect(metrics).toBeInstanceOf(MetricsSink);
    await metrics.start();
    try {
      const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
      expect(family(text, 'kasa_sink_queue_depth')).toContain(
        'kasa_sink_queue_depth{sink="mqtt"} 0',
      );
      expect(family(text, 'kasa_sink_dropped_total')).toContain(
        'kasa_sink_dropped_total{sink="mqtt"} 0',
      );
      // The same endpoint serves the status page.
      const page = await fetch(`http://127.0.0.1:${metrics.port}/`);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    } finally {
      await metrics.stop();
    }
  });
});
