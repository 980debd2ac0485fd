/**
 * The MQTT.js connect options that come from the `mqtt` config slice: credentials and TLS, and
 * error messages that tell the user which key to fix. The sink adds its own (will, timers).
 *
 * The files (`mqtt.ca`, `mqtt.cert`, `mqtt.key`, `mqtt.passwordFile`) were checked by the loader
 * and are read again here, at start, so a file fixed on disk is picked up by a restart.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttConfig } from '../../config/types.js';
import { redactUrl as redactUserinfo } from '../../config/checks.js';
import { isTlsUrl, readMqttFile, readPasswordFile } from '../../config/secret-files.js';
import { REFUSED_AUTH, UNTRUSTED } from './errors.js';

/** The part of MQTT.js's `IClientOptions` that {@link mqttClientOptions} sets. */
export type MqttSecurityOptions = Pick<
  IClientOptions,
  'username' | 'password' | 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'reconnectOnConnackError'
>;

/**
 * Credentials and TLS options for MQTT.js from the `mqtt` slice.
 *
 * - `username`, and `password` from `mqtt.password` (which `MQTT_PASSWORD` fills) or else the
 *   first line of `mqtt.passwordFile`; neither set: a password in the URL's userinfo, which
 *   MQTT.js parses itself, is used.
 * - For `mqtts://`, `ssl://` and `wss://`: `ca`, `cert` and `key` as the files' bytes (`ca`
 *   replaces the system CAs), and `rejectUnauthorized` as configured (default true). When it is
 *   false a warning is logged, once per call: anyone on the path can pose as the broker.
 * - `reconnectOnConnackError: true`: a refused connect (bad password, broker auth backend down)
 *   is retried like a lost connection, so a fix on the broker side needs no restart here.
 * @param config the `mqtt` slice, as `loadConfig` validated it
 * @param log where the verification-off warning goes; the password is never logged
 * @returns the options to spread over the sink's own
 * @throws ConfigError `mqtt.<key>: cannot read <file> (<errno>: …); …` when a file went away or
 *   changed since the config was loaded
 */
export function mqttClientOptions(config: MqttConfig, log?: Logger): MqttSecurityOptions {
  const options: MqttSecurityOptions = { reconnectOnConnackError: true };
  if (config.username !== '') options.username = config.username;
  if (config.password !== '') options.password = config.password;
  else if (config.passwordFile !== '') options.password = readPasswordFile(config.passwordFile);
  if (!isTlsUrl(config.url)) return options;
  if (config.ca !== '') options.ca = readMqttFile('ca', config.ca);
  if (config.cert !== '') options.cert = readMqttFile('cert', config.cert);
  if (config.key !== '') options.key = readMqttFile('key', config.key);
  options.rejectUnauthorized = config.rejectUnauthorized;
  if (!config.rejectUnauthorized) {
    log?.warn(
      'TLS certificate verification is off (mqtt.rejectUnauthorized: false): the connection is encrypted, but anyone on the network path can pose as the broker; give the CA as mqtt.ca and remove mqtt.rejectUnauthorized',
    );
  }
  return options;
}

const PASSWORD_SOURCES = 'mqtt.password, $MQTT_PASSWORD, mqtt.passwordFile or the URL';

/** What the user should do about `err`, or undefined when its own message says enough. */
function advice(err: Error & { code?: unknown }, config: MqttConfig): string | undefined {
  const code = err.code;
  if ((typeof code === 'string' && UNTRUSTED.has(code)) || err.message === 'TLS not authorized') {
    return config.ca === ''
      ? 'certificate verification failed: no CA this system trusts signed the broker certificate; set mqtt.ca to the PEM file of the CA that signed it (or, for a test broker only, set mqtt.rejectUnauthorized to false)'
      : `certificate verification failed: the CA in mqtt.ca (${config.ca}) did not sign the broker certificate; set mqtt.ca to the CA that did`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return "certificate verification failed: the broker certificate is outside its validity dates; renew it, or check this machine's clock";
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return 'certificate verification failed: the broker certificate does not list the host of mqtt.url; connect by a name or address it lists';
  }
  if (typeof code === 'string' && code.includes('CERTIFICATE_REQUIRED')) {
    return 'the broker wants a client certificate: set mqtt.cert and mqtt.key';
  }
  if (typeof code === 'number' && REFUSED_AUTH.has(code)) {
    return `check mqtt.username and the password (${PASSWORD_SOURCES}), and the broker's ACL for this user and client id`;
  }
  if (err.message === 'Username is required to use password') {
    return 'set mqtt.username: MQTT sends a password only with a user name';
  }
  return undefined;
}

/** Errors already amended: MQTT.js may emit one error object more than once. */
const amended = new WeakSet<Error>();

/**
 * Makes connect errors say which key to fix: before the sink's own `error` listener (this one is
 * prepended), the message of a TLS verification failure, a refused login or a password without
 * user name gets `; <advice>` appended, e.g. `unable to verify the first certificate;
 * certificate verification failed: … set mqtt.ca to the PEM file of the CA that signed it …`.
 * `code` is kept, so the sink still logs one line per kind of error. A peer certificate Node
 * attaches to some errors is made non-enumerable: it would fill a log line with bytes.
 * Advice names keys and, for `mqtt.ca`, its path; never the password.
 * @param client the client `connect` just returned
 * @param config the `mqtt` slice the client was built from
 * @returns `client`
 */
export function explainConnectErrors(client: MqttClient, config: MqttConfig): MqttClient {
  client.prependListener('error', (err: Error & { code?: unknown }) => {
    if (amended.has(err)) return;
    amended.add(err);
    if (Object.hasOwn(err, 'cert')) Object.defineProperty(err, 'cert', { enumerable: false });
    const todo = advice(err, config);
    if (todo !== undefined) err.message = `${err.message}; ${todo}`;
  });
  return client;
}

/** MQTT.js's own debug output, off: see {@link sinkClientOptions}. */
const quiet = (): void => {};

/**
 * The sink's whole client options: MQTT 5 (the sink falls back to 3.1.1 when the broker refuses
 * it: `protocol.ts`), a clean session, MQTT.js reconnecting every 2 s, no MQTT.js
 * offline queue (our outbox does that), the retained `bridge/state` `offline` as the last will,
 * the login, and {@link mqttClientOptions} (credentials from files, TLS).
 *
 * Three options only cut the cost of publishing (up to 8 publishes per reading, thousands a
 * second on a large fleet), what goes on the wire is unchanged:
 * - `reschedulePings: false`: MQTT.js would otherwise re-arm its keepalive timer on every
 *   packet sent; pings then go every `keepalive` even while busy (one small packet a minute).
 * - `log`: MQTT.js calls its `debug` logger a dozen times per publish, and `debug` checks
 *   whether it is enabled on every call. Unless `DEBUG` is set (the user is tracing MQTT.js,
 *   e.g. `DEBUG=mqttjs*`), a no-op takes its place.
 * - `writeCache: false`: mqtt-packet otherwise builds, on the first packet it writes, a 2-byte
 *   Buffer for every number 0..65535 (packet ids and lengths): 6.6 MB of heap, 13.7 MB of RSS
 *   measured with Node 20, for what a 2-byte allocation per number does (≈1 µs more per
 *   publish in a loop of a million: one publish per reading in the default `mqtt.output`).
 * @param config the `mqtt` slice
 * @param will the last-will message
 * @param log for the TLS warning
 * @param env where `DEBUG` is read; default `process.env`
 */
export function sinkClientOptions(
  config: MqttConfig,
  will: { topic: string; payload: string },
  log?: Logger,
  env: NodeJS.ProcessEnv = process.env,
): IClientOptions {
  const { clientId, qos } = config;
  const options: IClientOptions = {
    clean: true,
    protocolVersion: 5,
    reconnectPeriod: 2000,
    connectTimeout: 5000,
    queueQoSZero: false,
    reschedulePings: false,
    writeCache: false,
    will: { topic: will.topic, payload: Buffer.from(will.payload), retain: true, qos },
  };
  if (!env['DEBUG']) options.log = quiet;
  if (clientId !== '') options.clientId = clientId;
  // Credentials and TLS come from one place: mqttClientOptions (password, else passwordFile).
  return { ...options, ...mqttClientOptions(config, log) };
}

/** Returns `url` with any password replaced by `***`, for logs (`config/checks.ts` does it). */
export function redactUrl(url: string): string {
  return URL.canParse(url) ? redactUserinfo(url, '***') : '(unparsable URL)';
}
