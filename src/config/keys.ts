// The configuration keys: docs, defaults, checks and environment variables, as data.
// The machinery that turns this into a convict schema lives in schema.ts.
import * as check from './checks.js';
import type { Check } from './checks.js';
import { checkDevices } from './devices.js';
import { checkCron, checkInterval, checkTimezone } from './tick-pattern.js';
import type { LeafSpec, SpecTree } from './spec.js';

/** Names `emonhub.fields` may list, i.e. the reading fields. */
export const EMONHUB_FIELDS = [
  'voltage',
  'current',
  'power',
  'energy',
  'energy_total',
  'state',
  'rssi',
] as const;

/**
 * The default `emonhub.fields`: the community node config's six, `names =
 * Voltage,Current,Power,Energy,Status,RSSI` (pb66's "Python code to read TP-Link HS110" on
 * community.openenergymonitor.org; docs/emonhub.md), so an existing emonhub node config keeps
 * matching. `energy_total` is opt-in.
 */
export const EMONHUB_DEFAULT_FIELDS = [
  'voltage',
  'current',
  'power',
  'energy',
  'state',
  'rssi',
] as const;

const leaf = (doc: string, def: unknown, c: Check, extra: Partial<LeafSpec> = {}): LeafSpec => ({
  doc,
  default: def,
  check: c,
  ...extra,
});

/** The whole schema. Units: seconds for every duration. */
export const SPEC: SpecTree = {
  poll: {
    interval: leaf(
      'Seconds between polls: a divisor of 60, whole minutes that divide an hour (60, 120, 300, 600, 900, 1800 …) or whole hours that divide a day (3600, 7200 … 86400). Ticks are harmonized: they fall on multiples of the interval since the epoch (UTC), so readings of all plugs share one timestamp. Unused for timing when poll.cron is set.',
      10,
      checkInterval,
      { env: 'POLL_INTERVAL' },
    ),
    timeout: leaf(
      'Seconds one plug may take to answer (may be fractional). Must be below poll.interval (with poll.cron: below the shortest gap between its runs) so a slow plug never runs into the next tick.',
      2,
      check.numberAbove(0),
      { env: 'POLL_TIMEOUT' },
    ),
    concurrency: leaf('How many plugs are polled at the same time.', 64, check.integer(1)),
    offlineAfter: leaf(
      'Failed polls in a row before a plug is published as offline.',
      3,
      check.integer(1),
    ),
    cron: leaf(
      'A cron pattern the ticks follow instead of poll.interval, in croner syntax with seconds first (6 fields; 5 fields start at second 0), e.g. "0 */15 * * * *" for every quarter hour. Evaluated in poll.timezone. Empty: ticks follow poll.interval. See docs/scheduling.md.',
      '',
      checkCron,
      { env: 'POLL_CRON' },
    ),
    timezone: leaf(
      'IANA time zone poll.cron is evaluated in, e.g. "Europe/Berlin"; empty: the system\'s local time. Only for poll.cron: the poll.interval grid is always UTC.',
      '',
      checkTimezone,
      { env: 'POLL_TIMEZONE' },
    ),
  },
  devices: leaf(
    'The plugs: [{"host": "192.168.1.50", "port": 9999, "name": "fridge", "node": 27}]. host is required; port defaults to 9999; name (a-z, 0-9, _ and -, at most 64) is the MQTT topic level, else the plug alias slugified; node (integer 1..255) is the emonhub node id, without one the plug is not sent to emonhub; control (boolean, default false) lets <prefix>/<name>/set switch the relay; transport ("xor", "klap" or "aes") forces how the plug is reached instead of finding it (then port defaults to 80 for klap and aes); username with password or passwordFile give this plug its own TP-Link account instead of kasa.username. A power strip (HS300, KP303) publishes each outlet as <prefix>/<name>/<outlet>; outlets ([{"name": "kettle", "node": 31}, ...], the n-th entry is outlet n) names outlets and gives them emonhub nodes. Names, nodes and host:port must be unique; check-config also resolves host names and refuses two entries that reach one address and port. Write an IPv6 address without brackets (::1).',
    [],
    checkDevices,
  ),
  kasa: {
    username: leaf(
      'E-mail of the TP-Link account (Kasa or Tapo app) that newer plugs speaking KLAP or AES check; empty: only the default and blank accounts unbound plugs accept. A device may give its own username/password.',
      '',
      check.string,
      { env: 'KASA_USERNAME' },
    ),
    password: leaf('Password of kasa.username; empty for none.', '', check.secret, {
      env: 'KASA_PASSWORD',
      sensitive: true,
    }),
    passwordFile: leaf(
      'File holding the password of kasa.username (first line), instead of kasa.password (setting both is an error).',
      '',
      check.string,
      { env: 'KASA_PASSWORD_FILE' },
    ),
  },
  mqtt: {
    enabled: leaf('Publish readings to an MQTT broker.', true, check.boolean),
    url: leaf(
      'Broker URL: mqtt://, mqtts://, tcp://, ssl://, ws:// or wss://.',
      'mqtt://127.0.0.1:1883',
      check.mqttUrl,
      { env: 'MQTT_URL' },
    ),
    username: leaf('Broker user name; empty for none.', '', check.string, { env: 'MQTT_USERNAME' }),
    password: leaf('Broker password; empty for none.', '', check.secret, {
      env: 'MQTT_PASSWORD',
      sensitive: true,
    }),
    topicPrefix: leaf(
      'First topic level(s), e.g. "kasa" gives kasa/<name>/power. No + or #, no leading or trailing /.',
      'kasa',
      check.topicPrefix,
      { env: 'MQTT_TOPIC_PREFIX' },
    ),
    qos: leaf('QoS of published readings: 0, 1 or 2.', 1, check.oneOf([0, 1, 2])),
    clientId: leaf(
      "MQTT client id; empty: kasa-collector-<hostname>-<hash>, the hash (6 hex digits) of the absolute state.dir and mqtt.topicPrefix, so two collectors on one machine do not take each other's connection and a restart keeps the id. Give each collector its own id when you set one.",
      '',
      check.string,
      { env: 'MQTT_CLIENT_ID' },
    ),
    passwordFile: leaf(
      'File holding the broker password (first line), instead of mqtt.password (setting both is an error). Keeps the secret out of the config file.',
      '',
      check.string,
      { env: 'MQTT_PASSWORD_FILE' },
    ),
    ca: leaf(
      'PEM file of the CA that signed the broker certificate (mqtts://); empty: system CAs.',
      '',
      check.string,
      {
        env: 'MQTT_CA',
      },
    ),
    cert: leaf(
      'PEM client certificate file for TLS client authentication; empty for none.',
      '',
      check.string,
    ),
    key: leaf('PEM private key file of mqtt.cert; empty for none.', '', check.string),
    rejectUnauthorized: leaf(
      'Verify the broker certificate (mqtts://). Turn off only for a test broker with a self-signed certificate you cannot give as mqtt.ca.',
      true,
      check.boolean,
    ),
    format: leaf(
      'Topic layout of readings: "default" (<prefix>/<name> JSON state and/or one topic per field, as mqtt.output says) or "tasmota" (tele/<name>/SENSOR with {"ENERGY":{...}}, tele/<name>/LWT, tele/<name>/STATE), for dashboards built on Tasmota plugs.',
      'default',
      check.oneOf(['default', 'tasmota']),
    ),
    output: leaf(
      'What a reading is published as with mqtt.format "default": "json" (one retained JSON message at <prefix>/<name>, what Home Assistant discovery and Node-RED read), "attributes" (one plain value per field at <prefix>/<name>/<field>, for emonhub and flows that want single values) or "json_and_attributes" (both). Availability, info, relay commands, bridge/state and discovery are the same in every mode; "attributes" needs homeassistant.enabled false (discovery reads the JSON).',
      'json',
      check.oneOf(['json', 'attributes', 'json_and_attributes']),
      { env: 'MQTT_OUTPUT' },
    ),
    outbox: {
      maxReadings: leaf(
        'Readings kept while the broker is unreachable (persisted in state.dir); past it the oldest are dropped with a warning.',
        50000,
        check.integer(1),
      ),
      maxBytes: leaf(
        'Bytes the MQTT outbox may hold, same policy as maxReadings.',
        32 * 1024 * 1024,
        check.integer(1024),
      ),
    },
  },
  homeassistant: {
    enabled: leaf(
      'Publish Home Assistant MQTT discovery (one retained device config per plug) when MQTT is on. Needs mqtt.format "default".',
      true,
      check.boolean,
    ),
    prefix: leaf(
      "Home Assistant's discovery prefix; discovery goes to <prefix>/device/<id>/config and <prefix>/status is watched for restarts.",
      'homeassistant',
      check.topicPrefix,
    ),
  },
  emonhub: {
    enabled: leaf('Send frames to an emonhub socket interfacer.', false, check.boolean),
    host: leaf('Host emonhub listens on.', '127.0.0.1', check.host, { env: 'EMONHUB_HOST' }),
    port: leaf("The socket interfacer's port_nb.", 50011, check.integer(1, 65535), {
      env: 'EMONHUB_PORT',
    }),
    timestamped: leaf(
      'Start each frame with the tick time (emonhub interfacer setting timestamped = True).',
      true,
      check.boolean,
    ),
    fields: leaf(
      'Reading fields in frame order; the emonhub node config names them, e.g. names = Voltage,Current,Power,Energy,Status,RSSI. energy_total (lifetime kWh, survives plug reboots) may be added.',
      [...EMONHUB_DEFAULT_FIELDS],
      check.distinctList(EMONHUB_FIELDS),
    ),
    replayRate: leaf(
      'Frames per second a backlog (frames kept through an emonhub outage, or restored at start) is replayed at, on top of the live frames, which go at once. emonhub takes at most 10 frames/s in all (one per 0.1 s pass of its interfacer loop), so keep the live rate plus this well below 10.',
      2,
      check.numberAbove(0),
    ),
    queue: {
      maxFrames: leaf(
        'Frames kept while emonhub is unreachable (persisted in state.dir); past it the oldest are dropped with a warning.',
        100000,
        check.integer(1),
      ),
      maxBytes: leaf(
        'Bytes the emonhub queue may hold, same policy as maxFrames.',
        16 * 1024 * 1024,
        check.integer(1024),
      ),
    },
  },
  filter: {
    maxPower: leaf(
      'Power above this (W) is a spike: not published, logged and counted. Fits a 16 A plug.',
      4000,
      check.numberAbove(0),
    ),
    maxCurrent: leaf('Current above this (A) is a spike.', 20, check.numberAbove(0)),
    minVoltage: leaf('Voltage below this (V) is a spike.', 80, check.numberAbove(0)),
    maxVoltage: leaf('Voltage above this (V) is a spike.', 280, check.numberAbove(0)),
  },
  state: {
    dir: leaf(
      'Directory for state that must survive restarts: lifetime energy totals and the MQTT and emonhub outboxes. Relative paths are from the working directory; systemd sets STATE_DIRECTORY.',
      'state',
      check.string,
      { env: 'STATE_DIRECTORY' },
    ),
  },
  log: {
    level: leaf(
      'Lowest level logged: fatal, error, warn, info, debug, trace or silent.',
      'info',
      check.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      { env: 'LOG_LEVEL' },
    ),
  },
  http: {
    enabled: leaf(
      'Serve /metrics (Prometheus text format) and /healthz over HTTP.',
      false,
      check.boolean,
    ),
    port: leaf('TCP port of the metrics endpoint.', 9101, check.integer(1, 65535)),
    host: leaf(
      'Address the metrics endpoint binds to; 127.0.0.1 keeps it local, 0.0.0.0 opens it to the LAN.',
      '127.0.0.1',
      check.host,
    ),
  },
};
