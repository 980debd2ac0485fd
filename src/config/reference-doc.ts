/**
 * `docs/configuration.md`, rendered from the key spec (`keys.ts`, through
 * {@link configReference}): every key with its doc, default and environment variable, so the
 * reference can never drift from what the loader accepts. Pure: `npm run docs:config` writes the
 * file, and `test/config/reference-doc.test.ts` fails when the committed file is stale.
 */
import { configReference, type ConfigKeyDoc } from './schema.js';

/** The command that regenerates the file; named in the file and in the staleness test. */
export const REGENERATE_COMMAND = 'npm run docs:config';

/** Where the rendered reference lives, from the repository root. */
export const CONFIG_DOC_PATH = 'docs/configuration.md';

const INTRO = `kasa-collector reads one JSON file, given by \`--config FILE\` or the
\`KASA_COLLECTOR_CONFIG\` environment variable (\`run\` without either uses the defaults below and
the environment). [\`config/example.json\`](../config/example.json) is a complete example.

- Precedence, lowest first: the defaults below, the file, then the environment variables named
  below, each of which overrides one key.
- Unknown keys, values of the wrong type or out of range, duplicate device names, emonhub nodes or
  addresses are errors that name the file (or the variable) and the key; the process exits with
  code 2. \`kasa-collector check-config --config FILE\` validates a file and prints the effective
  configuration, secrets redacted.
- Durations are in seconds. \`kasa-collector run\` reloads \`devices\` on SIGHUP; other keys need a
  restart ([deployment](deployment.md)).

What the keys drive is described in [MQTT and Home Assistant](mqtt-and-home-assistant.md),
[emonhub](emonhub.md), [metrics](metrics.md) and [reliability](reliability.md).`;

/**
 * Wraps the placeholders of a key's doc (`<prefix>/<name>/set`, `kasa-collector-<hostname>`) in
 * code spans, so markdown does not read them as HTML tags; trailing punctuation stays outside.
 */
function codeSpans(text: string): string {
  return text.replace(/\S*<\w+>\S*/g, (token) => {
    const [, lead = '', body = '', tail = ''] = /^([("]*)(.*?)([.,;:)"]*)$/.exec(token) ?? [];
    return `${lead}\`${body}\`${tail}`;
  });
}

/** A value as a markdown code span (JSON, so strings keep their quotes). */
function code(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** GitHub's anchor of a heading that is one code span: `mqtt.outbox.maxReadings` → `mqttoutboxmaxreadings`. */
function anchor(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

/** The keys by their first level, in schema order: `poll` → `poll.interval`, …; `devices` alone. */
function groups(rows: readonly ConfigKeyDoc[]): Map<string, ConfigKeyDoc[]> {
  const out = new Map<string, ConfigKeyDoc[]>();
  for (const row of rows) {
    const group = row.key.split('.')[0] as string;
    out.set(group, [...(out.get(group) ?? []), row]);
  }
  return out;
}

function keySection(row: ConfigKeyDoc, level: string): string {
  const facts = [`Default: ${code(row.default)}.`];
  if (row.env !== undefined) facts.push(`Environment: \`${row.env}\`.`);
  return `${level} \`${row.key}\`\n\n${codeSpans(row.doc)}\n\n${facts.join(' ')}\n`;
}

/**
 * Renders the configuration reference as markdown (run through prettier by the writer).
 * @param rows every key with its doc, default and environment variable; default: the schema's
 * @returns the whole file: intro, a table of every key, then one section per key
 */
export function renderConfigReference(rows: readonly ConfigKeyDoc[] = configReference()): string {
  const out = [
    '# Configuration',
    `<!-- Generated from src/config/keys.ts by \`${REGENERATE_COMMAND}\`: edit the key docs there, not this file. -->`,
    INTRO,
    '## All keys',
    [
      '| key | default | environment |',
      '| --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| [\`${r.key}\`](#${anchor(r.key)}) | ${code(r.default)} | ${r.env === undefined ? '' : `\`${r.env}\``} |`,
      ),
    ].join('\n'),
  ];
  for (const [group, keys] of groups(rows)) {
    if (keys.length === 1 && keys[0]?.key === group) {
      out.push(keySection(keys[0], '##').trimEnd());
      continue;
    }
    out.push(`## \`${group}\``);
    for (const row of keys) out.push(keySection(row, '###').trimEnd());
  }
  return `${out.join('\n\n')}\n`;
}
