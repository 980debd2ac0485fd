import convict from 'convict';
import { isPlainObject, show, unknownKeyMessage } from './checks.js';
import { defaultClientId } from './client-id.js';
import { normalizeDevice } from './devices.js';
import { readJsonObject } from './file.js';
import { accountProblems } from './kasa-account.js';
import { mqttFileProblems } from './secret-files.js';
import { SPEC } from './keys.js';
import { tasmotaTopicClashes } from './tasmota-topics.js';
import { convictSchema, FAILED_CHECK, leaves } from './schema.js';
import type { FailedCheck } from './schema.js';
import { isLeaf, type SpecTree } from './spec.js';
import type { Config } from './types.js';
import { ConfigError } from '../errors.js';
import { systemClock } from '../clock.js';
import { cadence, tickPattern } from './tick-pattern.js';

/** Where {@link loadConfig} takes values from; later sources win. */
export interface LoadConfigOptions {
  /** JSON file (from `--config` or `KASA_COLLECTOR_CONFIG`); absent: defaults and env only. */
  file?: string;
  /** Environment to read `POLL_INTERVAL`, `MQTT_URL`, … from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Values shaped like the file, e.g. `{poll: {interval: 5}}`, applied over file and env. */
  overrides?: object;
}

interface Problem {
  /** The file name, `$VAR`, `overrides` or `defaults`. */
  source: string;
  key: string;
  message: string;
}

const LEAVES = leaves();
const KNOWN_KEYS = [...LEAVES.keys(), ...Object.keys(SPEC)];
const ORDER = [...LEAVES.keys()];

/** Position of `key` in schema order, so problems read top to bottom like the file; unknown last. */
function rank(key: string): number {
  const i = ORDER.findIndex((k) => key === k || key.startsWith(`${k}[`) || k.startsWith(`${key}.`));
  return i === -1 ? ORDER.length : i;
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/;

/**
 * Checks the file's shape against the schema before convict sees it: unknown keys (convict's
 * strict mode cannot see `__proto__` and cannot suggest), groups that are not objects, and
 * non-string keys given a string or an object (convict would coerce `"10s"` to 10). Returns the
 * object with those entries dropped, so their siblings are still validated in the same run.
 */
function prune(
  raw: Record<string, unknown>,
  tree: SpecTree,
  prefix: string,
  source: string,
  problems: Problem[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const path = `${prefix}${key}`;
    const node = Object.hasOwn(tree, key) ? tree[key] : undefined;
    if (node === undefined) {
      problems.push({ source, key: path, message: unknownKeyMessage(path, KNOWN_KEYS) });
    } else if (!isLeaf(node)) {
      if (isPlainObject(value)) out[key] = prune(value, node, `${path}.`, source, problems);
      else {
        const keys = Object.keys(node).join(', ');
        problems.push({
          source,
          key: path,
          message: `must be an object with the keys ${keys}, got ${show(value)}`,
        });
      }
    } else if (
      isPlainObject(value) ||
      (typeof value === 'string' && typeof node.default !== 'string')
    ) {
      for (const issue of node.check(value))
        problems.push({ source, key: path + (issue.path ?? ''), message: issue.message });
    } else if (value !== undefined) out[key] = value;
  }
  return out;
}

/** `[dotted key, value]` of every key in a pruned object. */
function flatten(obj: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(obj).flatMap(([k, v]): [string, unknown][] =>
    LEAVES.has(`${prefix}${k}`)
      ? [[`${prefix}${k}`, v]]
      : flatten(v as Record<string, unknown>, `${prefix}${k}.`),
  );
}

/** The schema's variables out of `env`; non-numbers for numeric keys reported and left out. */
function pickEnv(env: NodeJS.ProcessEnv, problems: Problem[]): NodeJS.ProcessEnv {
  const picked: NodeJS.ProcessEnv = {};
  for (const [key, spec] of LEAVES) {
    const value = spec.env === undefined ? undefined : env[spec.env];
    if (spec.env === undefined || value === undefined) continue;
    if (typeof spec.default === 'number' && !NUMERIC.test(value)) {
      problems.push({
        source: `$${spec.env}`,
        key,
        message: `must be a number, got ${show(value)}`,
      });
    } else picked[spec.env] = value;
  }
  return picked;
}

/** The values of one load, each remembering where it came from. */
interface Sources {
  file: Record<string, unknown>;
  overrides: [string, unknown][];
  env: NodeJS.ProcessEnv;
  /** `$VAR`, `overrides`, the file name or `defaults`: where `key`'s value came from. */
  sourceOf: (key: string) => string;
}

function gather(opts: LoadConfigOptions, problems: Problem[]): Sources {
  const label = opts.file ?? 'defaults';
  const file =
    opts.file === undefined ? {} : prune(readJsonObject(opts.file), SPEC, '', label, problems);
  let overrides: Record<string, unknown> = {};
  if (isPlainObject(opts.overrides))
    overrides = prune(opts.overrides, SPEC, '', 'overrides', problems);
  else if (opts.overrides !== undefined) {
    problems.push({
      source: 'overrides',
      key: '',
      message: `must be an object shaped like the file, got ${show(opts.overrides)}`,
    });
  }
  const env = pickEnv(opts.env ?? process.env, problems);
  const fileKeys = new Set(flatten(file).map(([k]) => k));
  const overrideEntries = flatten(overrides);
  const overrideKeys = new Set(overrideEntries.map(([k]) => k));
  const sourceOf = (key: string): string => {
    const variable = LEAVES.get(key)?.env;
    if (overrideKeys.has(key)) return 'overrides';
    if (variable !== undefined && env[variable] !== undefined) return `$${variable}`;
    return fileKeys.has(key) || !LEAVES.has(key) ? label : 'defaults';
  };
  return { file, overrides: overrideEntries, env, sourceOf };
}

/**
 * Runs convict: defaults, file, env, overrides, then strict validation. Problems found by our
 * checks come back structured through `failed`; convict's own lines (unknown keys the shape
 * check missed, should there be any) are translated.
 */
function runConvict(src: Sources, problems: Problem[]): convict.Config<Config> {
  const failed: FailedCheck[] = [];
  const conf = convict<Config>(convictSchema(failed) as convict.Schema<Config>, {
    env: src.env,
    args: [],
  });
  conf.load(src.file);
  // After load(): load() re-imports env every time, set() does not, so overrides beat env.
  for (const [key, value] of src.overrides) conf.set(key, value);
  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    for (const line of (err as Error).message.split('\n')) {
      const undeclared = /^configuration param '(.+)' not declared in the schema$/.exec(line)?.[1];
      if (undeclared !== undefined) {
        problems.push({
          source: src.sourceOf(undeclared),
          key: undeclared,
          message: unknownKeyMessage(undeclared, KNOWN_KEYS),
        });
      } else if (!line.includes(FAILED_CHECK)) {
        problems.push({ source: 'configuration', key: '', message: line });
      }
    }
    for (const f of failed) {
      const key = f.fullName ?? '?';
      for (const issue of f.issues) {
        problems.push({
          source: src.sourceOf(key),
          key: key + (issue.path ?? ''),
          message: issue.message,
        });
      }
    }
  }
  return conf;
}

/**
 * `poll.timeout` below the shortest gap between ticks (`poll.interval`, or the runs of
 * `poll.cron`), and `poll.timezone` only with `poll.cron`; checked once the keys are valid on
 * their own.
 */
function checkPollTiming(poll: Config['poll'], src: Sources, problems: Problem[]): void {
  const bad = new Set(problems.map((p) => p.key));
  const cron = poll.cron ?? '';
  if (cron === '' && (poll.timezone ?? '') !== '' && !bad.has('poll.timezone')) {
    problems.push({
      source: src.sourceOf('poll.timezone'),
      key: 'poll.timezone',
      message: `applies to poll.cron only (the poll.interval grid is UTC); set poll.cron, e.g. "0 0 * * * *" for every hour on the hour in ${poll.timezone}, or remove poll.timezone`,
    });
  }
  const timingKey = cron === '' ? 'poll.interval' : 'poll.cron';
  if ([timingKey, 'poll.timeout', 'poll.timezone'].some((k) => bad.has(k))) return;
  const gapS = cadence(tickPattern(poll), systemClock.now()).minS;
  if (poll.timeout < gapS) return;
  const own = src.sourceOf('poll.timeout');
  const limit =
    cron === ''
      ? `poll.interval (${poll.interval} s)`
      : `the shortest gap between poll.cron runs (${gapS} s)`;
  const fix = cron === '' ? 'lower poll.timeout or raise poll.interval' : 'lower poll.timeout';
  problems.push({
    source: own === 'defaults' ? src.sourceOf(timingKey) : own,
    key: 'poll.timeout',
    message: `${poll.timeout} s must be below ${limit} so a slow plug never runs into the next tick; ${fix}`,
  });
}

/** With `mqtt.format: "tasmota"`, no two configured plugs or outlets on one `tele/<topic>`. */
function checkTasmotaTopics(conf: convict.Config<Config>, src: Sources, problems: Problem[]): void {
  const mqtt = conf.get('mqtt');
  if (!mqtt.enabled || mqtt.format !== 'tasmota') return;
  if (problems.some((p) => p.key.startsWith('devices') || p.key.startsWith('mqtt.format'))) return;
  const devices = conf.get('devices').map(normalizeDevice);
  for (const clash of tasmotaTopicClashes(devices))
    problems.push({ source: src.sourceOf('devices'), key: clash.key, message: clash.message });
}

/**
 * Home Assistant discovery points every entity at the JSON state (`value_json.<field>`), which
 * `mqtt.output: "attributes"` does not publish: HA would show every plug as unknown.
 */
function checkHaOutput(conf: convict.Config<Config>, src: Sources, problems: Problem[]): void {
  const { enabled, format, output } = conf.get('mqtt');
  if (!enabled || format !== 'default' || output !== 'attributes') return;
  if (!conf.get('homeassistant').enabled) return;
  problems.push({
    source: src.sourceOf('mqtt.output'),
    key: 'mqtt.output',
    message:
      '"attributes" publishes no JSON state, and Home Assistant discovery reads its values from it; set mqtt.output to "json_and_attributes", or homeassistant.enabled to false',
  });
}

/**
 * Loads and validates the configuration: schema defaults, then the JSON file, then environment
 * variables, then `overrides`. Unknown keys are errors (convict `allowed: 'strict'`), so a typo
 * never silently falls back to a default. With `mqtt.format: "tasmota"`, two configured plugs
 * or strip outlets on one `tele/<topic>` are an error (`tasmota-topics.ts`), and so is
 * `mqtt.output: "attributes"` with Home Assistant discovery on. Device `port` is
 * filled in (9999) and an empty `mqtt.clientId` becomes `kasa-collector-<hostname>-<hash>`
 * (`client-id.ts`). With MQTT enabled, the files named by `mqtt.ca`, `mqtt.cert`, `mqtt.key`
 * and `mqtt.passwordFile` are read to check them (see `secret-files.ts`); the password stays in
 * its file, `mqtt.password` is not filled in.
 * @returns the validated configuration; durations are in seconds
 * @throws ConfigError listing every problem found, one per line, as `<source>: <key>: <what is
 *   wrong and how to fix it>`, where source is the file name, `$ENV_VAR`, `overrides` or
 *   `defaults`; or naming the file when it cannot be read or is not valid JSON. A TLS or
 *   password file that cannot be read reads e.g. `<source>: mqtt.ca: cannot read /etc/x.pem
 *   (ENOENT: no such file); give the PEM file of the CA that signed the broker certificate`
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const problems: Problem[] = [];
  const src = gather(opts, problems);
  const conf = runConvict(src, problems);
  checkPollTiming(conf.get('poll'), src, problems);
  checkTasmotaTopics(conf, src, problems);
  checkHaOutput(conf, src, problems);
  // Files are checked last, so a key that failed its own check is not read as a path too.
  const bad = new Set(problems.map((p) => p.key));
  for (const p of mqttFileProblems(conf.get('mqtt'), bad, src.sourceOf))
    problems.push({ source: src.sourceOf(p.key), ...p });
  if (![...bad].some((k) => k.startsWith('devices'))) {
    const devices = (conf.get('devices') as Parameters<typeof normalizeDevice>[0][]).map(
      normalizeDevice,
    );
    for (const p of accountProblems(conf.get('kasa'), devices, bad))
      problems.push({
        source: src.sourceOf(p.key.startsWith('devices') ? 'devices' : p.key),
        ...p,
      });
  }
  if (problems.length > 0) {
    const lines = problems
      .sort((a, b) => rank(a.key) - rank(b.key))
      .map((p) => [p.source, p.key, p.message].filter(Boolean).join(': '));
    throw new ConfigError(lines.join('\n'));
  }
  const config = conf.getProperties();
  return {
    ...config,
    devices: config.devices.map(normalizeDevice),
    mqtt: {
      ...config.mqtt,
      clientId: config.mqtt.clientId || defaultClientId(config.state.dir, config.mqtt.topicPrefix),
    },
  };
}
