import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { redactConfig } from '../../src/config/redact.js';
import { redactUrl } from '../../src/config/checks.js';

describe('redactConfig', () => {
  const config = loadConfig({
    env: { MQTT_URL: 'mqtt://kasa:url-secret@192.0.2.1:1883', MQTT_PASSWORD: 'hunter2' },
  });

  it('hides mqtt.password and the password in the URL userinfo', () => {
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('url-secret');
    expect(redactConfig(config).mqtt).toMatchObject({
      password: '[redacted]',
      url: 'mqtt://kasa:[redacted]@192.0.2.1:1883',
    });
  });

  it('leaves the original untouched', () => {
    redactConfig(config);
    expect(config.mqtt.password).toBe('hunter2');
  });

  it('shows an empty password as empty', () => {
    expect(redactConfig(loadConfig({ env: {} })).mqtt.password).toBe('');
  });
});

describe('redactUrl', () => {
  it.each([
    ['mqtt://u:p@h:1883', 'mqtt://u:[redacted]@h:1883'],
    ['wss://u:p%40ss@h/mqtt', 'wss://u:[redacted]@h/mqtt'],
    ['mqtt://:p@h', 'mqtt://:[redacted]@h'],
    ['mqtt://user@h', 'mqtt://user@h'],
    ['mqtt://h:1883', 'mqtt://h:1883'],
    ['mqtt://h/a:b@c', 'mqtt://h/a:b@c'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
