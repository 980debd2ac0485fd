/**
 * The validated configuration's types, one interface per slice. `load.ts` produces a
 * {@link Config}; the keys, their docs, defaults and environment variables are in `keys.ts`.
 *
 * Precedence, lowest first: schema defaults, the JSON file, environment variables, overrides.
 * All durations are seconds.
 */

/** One configured plug. */
export interface DeviceConfig {
  /** IPv4/IPv6 address or host name of the plug. */
  host: string;
  /** TCP port, 1..65535; the loader fills in 9999 when the file gives none. */
  port: number;
  /** Topic name; `[a-z0-9_-]`, unique. Absent: the plug's alias slugified, else its MAC. */
  name?: string;
  /**
   * emonhub node id, integer 1..255, unique; absent: not sent to emonhub. (emonhub itself takes
   * any integer; 1..255 keeps ids in the byte range its radio nodes use.)
   */
  node?: number;
  /**
   * Accept relay commands on `<prefix>/<name>/set` (default false: commands are ignored); on a
   * power strip, on each outlet's `<prefix>/<name>/<outlet>/set`.
   */
  control?: boolean;
  /**
   * A power strip's outlets, the n-th entry for outlet n (1-based, as printed on the strip);
   * absent: outlets are named from their aliases and not sent to emonhub.
   */
  outlets?: OutletConfig[];
  /**
   * Forces how the plug is reached: `xor` (TCP 9999), `klap` or `aes` (HTTP, port 80 unless
   * `port` says otherwise); absent: found by itself (docs/devices.md).
   */
  transport?: 'xor' | 'klap' | 'aes';
  /** This plug's TP-Link account, instead of `kasa.username` / `kasa.password`. */
  username?: string;
  /** Secret: shown only through `redactConfig`. */
  password?: string;
  /** File whose first line is this plug's password, instead of `password`. */
  passwordFile?: string;
}

/** `kasa` slice: the TP-Link account KLAP and AES plugs check (docs/devices.md). */
export interface KasaConfig {
  /** The Kasa/Tapo app account's e-mail; `''`: none (only the default and blank accounts). */
  username: string;
  /** `''`: none. Secret: shown only through `redactConfig`. */
  password: string;
  /** File whose first line is the password, instead of `password`; `''`: none. */
  passwordFile: string;
}

/** One outlet of a power strip in `devices[].outlets`. */
export interface OutletConfig {
  /** Topic level below the strip's (`[a-z0-9_-]`, unique within the strip); absent: the alias slugified, else `outlet_<n>`. */
  name?: string;
  /** emonhub node id, 1..255, unique across devices and outlets; absent: not sent to emonhub. */
  node?: number;
}

/** `poll` slice. */
export interface PollConfig {
  /**
   * Harmonized interval, s (env `POLL_INTERVAL`): one of `VALID_INTERVALS` in `tick-pattern.ts`
   * (divides 60 s, or whole minutes dividing an hour, or whole hours dividing a day). Ticks fall
   * on its multiples since the epoch; unused for timing when `cron` is set.
   */
  interval: number;
  /**
   * A croner pattern the ticks follow instead of `interval` (env `POLL_CRON`); absent or `''`:
   * none. Optional so code that builds a poll slice by hand (the demo, tests) need not name it;
   * the loader always fills it in.
   */
  cron?: string;
  /**
   * IANA time zone `cron` is evaluated in (env `POLL_TIMEZONE`); absent or `''`: the system's
   * local time. Never applies to the `interval` grid, which is UTC.
   */
  timezone?: string;
  /** Deadline per plug poll, s (> 0, may be fractional; below the shortest gap between ticks). */
  timeout: number;
  /** How many plugs are polled at once (integer ≥ 1). */
  concurrency: number;
  /** Failed polls in a row before a device is published `offline` (integer ≥ 1). */
  offlineAfter: number;
}

/** `mqtt.output`: what a reading is published as in the default layout. */
export type MqttOutput = 'json' | 'attributes' | 'json_and_attributes';

/** `mqtt` slice. */
export interface MqttConfig {
  enabled: boolean;
  /** `mqtt://`, `mqtts://`, `tcp://`, `ssl://`, `ws://` or `wss://` URL; may hold `user:pass@`. */
  url: string;
  /** `''`: none. */
  username: string;
  /** `''`: none. Secret: shown only through {@link redactConfig}. */
  password: string;
  /** First topic level(s): no `+`, `#`, leading/trailing `/`, or `$` start. Default `kasa`. */
  topicPrefix: string;
  qos: 0 | 1 | 2;
  /** Never empty after loading: `''` in the file becomes `kasa-collector-<hostname>-<hash>`. */
  clientId: string;
  /** File whose first line is the password, instead of `password` (both set is an error); `''`: none. */
  passwordFile: string;
  /** PEM CA file for `mqtts://`; `''`: the system CAs. */
  ca: string;
  /** PEM client certificate file; `''`: none. */
  cert: string;
  /** PEM private key file of `cert`; `''`: none. */
  key: string;
  /** Verify the broker's certificate (default true). */
  rejectUnauthorized: boolean;
  /** Topic layout of readings: `default` (zigbee2mqtt-like) or `tasmota` (`tele/<name>/SENSOR`). */
  format: 'default' | 'tasmota';
  /**
   * What a reading becomes with the default layout: the retained JSON state (`json`), the
   * per-field values (`attributes`) or both (`json_and_attributes`). Ignored by `tasmota`.
   */
  output: MqttOutput;
  /** Bounds of the persisted outbox that holds readings while the broker is unreachable. */
  outbox: OutboxBounds & { maxReadings: number };
}

/** `homeassistant` slice: MQTT discovery; in effect only when `mqtt.enabled` is too. */
export interface HomeAssistantConfig {
  enabled: boolean;
  /** Discovery prefix, default `homeassistant` (also where HA announces `status`). */
  prefix: string;
}

/** Bounds of a persisted FIFO. */
export interface OutboxBounds {
  /** Bytes of serialized entries kept at most. */
  maxBytes: number;
}

/** `emonhub` slice. */
export interface EmonhubConfig {
  enabled: boolean;
  host: string;
  /** The socket interfacer's `port_nb`, default 50011. */
  port: number;
  /** Put the tick time first in each frame (emonhub `timestamped = True`). */
  timestamped: boolean;
  /** Reading fields in frame order, e.g. `["voltage","current","power","energy","state","rssi"]`. */
  fields: EmonhubField[];
  /** Frames per second a backlog is replayed at, on top of live frames (emonhub takes ≤ 10/s). */
  replayRate: number;
  /** Bounds of the persisted frame queue. */
  queue: OutboxBounds & { maxFrames: number };
}

/** `filter` slice: physical bounds; a value outside them is a spike and is not published. */
export interface FilterConfig {
  /** W. */
  maxPower: number;
  /** A. */
  maxCurrent: number;
  /** V. */
  minVoltage: number;
  /** V. */
  maxVoltage: number;
}

/**
 * `state` slice: where what must survive a restart is stored (`src/storage/` files). The key
 * keeps systemd's name for it (`StateDirectory=`, `$STATE_DIRECTORY`).
 */
export interface StorageConfig {
  /** Directory for the energy totals and the outboxes. */
  dir: string;
}

/**
 * A reading field emonhub frames can carry. `energy_total` (lifetime kWh) is allowed but not in
 * the default list, which stays the community node config's six (docs/emonhub.md).
 */
export type EmonhubField =
  'voltage' | 'current' | 'power' | 'energy' | 'energy_total' | 'state' | 'rssi';

/** `log` slice. */
export interface LogConfig {
  /** Lowest pino level written (env `LOG_LEVEL`). */
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** `http` slice: the optional metrics and health endpoint (`src/sinks/prometheus/`). */
export interface HttpConfig {
  /** Serve `/metrics` and `/healthz` (default false). */
  enabled: boolean;
  /** TCP port, default 9101 (one above node_exporter's 9100). */
  port: number;
  /** Bind address, default `127.0.0.1`: local only unless opened on purpose. */
  host: string;
}

/** The whole validated configuration. */
export interface Config {
  poll: PollConfig;
  devices: DeviceConfig[];
  kasa: KasaConfig;
  mqtt: MqttConfig;
  homeassistant: HomeAssistantConfig;
  emonhub: EmonhubConfig;
  log: LogConfig;
  filter: FilterConfig;
  state: StorageConfig;
  http: HttpConfig;
}
