import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configFile, loadError } from './helpers.js';

describe('mqtt.output', () => {
  it('defaults to json, takes the three modes from the file or $MQTT_OUTPUT', () => {
    expect(loadConfig({ env: {} }).mqtt.output).toBe('json');
    const file = configFile({ mqtt: { output: 'json_and_attributes' } });
    expect(loadConfig({ file, env: {} }).mqtt.output).toBe('json_and_attributes');
    const env = { MQTT_OUTPUT: 'attributes' };
    const off = { homeassistant: { enabled: false } };
    expect(loadConfig({ env, overrides: off }).mqtt.output).toBe('attributes');
  });

  it('rejects an unknown mode, naming the key', () => {
    loadError({ file: configFile({ mqtt: { output: 'attribute' } }) }, 'mqtt.output');
  });

  it('rejects "attributes" with Home Assistant discovery on, saying what to change', () => {
    const file = configFile({ mqtt: { output: 'attributes' } });
    loadError(
      { file },
      `${file}: mqtt.output: "attributes" publishes no JSON state`,
      'set mqtt.output to "json_and_attributes", or homeassistant.enabled to false',
    );
    // Not a problem when discovery is off, MQTT is off, or the layout is Tasmota's.
    for (const other of [
      { homeassistant: { enabled: false } },
      { mqtt: { enabled: false } },
      { mqtt: { format: 'tasmota' } },
    ]) {
      const merged = { ...other, mqtt: { output: 'attributes', ...other.mqtt } };
      expect(loadConfig({ file: configFile(merged), env: {} }).mqtt.output).toBe('attributes');
    }
  });
});
