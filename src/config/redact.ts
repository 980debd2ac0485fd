import { redactUrl } from './checks.js';
import type { Config } from './types.js';

/** What secrets are replaced with. */
export const REDACTED = '[redacted]';

/**
 * A copy of `config` safe to print (`check-config`) or log: a non-empty `mqtt.password`, `kasa.password` or
 * `devices[].password`, and any password in `mqtt.url`'s userinfo become `"[redacted]"`. An empty password stays `''`, which
 * tells the reader none is set without revealing anything.
 * @returns the same shape as `config`; `config` is not modified
 */
export function redactConfig(config: Config): Config {
  return {
    ...config,
    mqtt: {
      ...config.mqtt,
      url: redactUrl(config.mqtt.url),
      password: config.mqtt.password === '' ? '' : REDACTED,
    },
    kasa: { ...config.kasa, password: config.kasa.password === '' ? '' : REDACTED },
    devices: config.devices.map((d) =>
      d.password === undefined ? d : { ...d, password: d.password === '' ? '' : REDACTED },
    ),
  };
}
