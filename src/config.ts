// Config types. The loader (convict schema, validation, redaction) is added below these types.

/** One configured plug. */
export interface DeviceConfig {
  /** IPv4/IPv6 address or host name of the plug. */
  host: string;
  /** TCP port, default 9999. */
  port: number;
  /** Topic name; `[a-z0-9_-]`, unique. Absent: the plug's alias slugified, else its MAC. */
  name?: string;
  /** emonhub node id (integer 1..255... see schema), unique; absent: not sent to emonhub. */
  node?: number;
}

/** `poll` slice. */
export interface PollConfig {
  /** Harmonized interval, s (integer ≥ 1). */
  interval: number;
  /** Deadline per plug poll, s (may be fractional; must be below `interval`). */
  timeout: number;
  /** How many plugs are polled at once. */
  concurrency: number;
  /** Failed polls in a row before a device is published `offline`. */
  offlineAfter: number;
}

/** `mqtt` slice. */
export interface MqttConfig {
  enabled: boolean;
  /** `mqtt://host:1883` or `mqtts://…`. */
  url: string;
  username: string;
  password: string;
  topicPrefix: string;
  qos: 0 | 1 | 2;
  clientId: string;
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
  fields: ('voltage' | 'current' | 'power' | 'energy' | 'state' | 'rssi')[];
}

/** `log` slice. */
export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** The whole validated configuration. */
export interface Config {
  poll: PollConfig;
  devices: DeviceConfig[];
  mqtt: MqttConfig;
  emonhub: EmonhubConfig;
  log: LogConfig;
}
