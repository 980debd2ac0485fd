import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_DOC_PATH,
  REGENERATE_COMMAND,
  renderConfigReference,
} from '../../src/config/reference-doc.js';
import { configReference } from '../../src/config/schema.js';

const file = fileURLToPath(new URL(`../../${CONFIG_DOC_PATH}`, import.meta.url));

/** What the writer (`.ci/write-config-doc.mjs`) puts in the file: the rendering, prettier-formatted. */
async function rendered(): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(renderConfigReference(), { ...options, filepath: file });
}

describe(CONFIG_DOC_PATH, () => {
  it('is what the config schema renders (a key added or changed needs the file regenerated)', async () => {
    const actual = existsSync(file) ? readFileSync(file, 'utf8') : '(missing)';
    expect(
      actual,
      `${CONFIG_DOC_PATH} does not match src/config/keys.ts: run \`${REGENERATE_COMMAND}\` and commit the result`,
    ).toBe(await rendered());
  });
});

describe('renderConfigReference', () => {
  it('gives every key a section with its doc, default and environment variable', () => {
    const md = renderConfigReference();
    for (const row of configReference()) {
      const section = md.split(/^#{2,3} /m).find((s) => s.startsWith(`\`${row.key}\`\n`));
      expect(section, row.key).toBeDefined();
      expect(section).toContain(`Default: \`${JSON.stringify(row.default)}\`.`);
      if (row.env !== undefined) expect(section).toContain(`Environment: \`${row.env}\`.`);
      else expect(section).not.toContain('Environment:');
    }
  });

  it.each([
    ['goes to <prefix>/<name>/set.', 'goes to `<prefix>/<name>/set`.'],
    ['empty: kasa-collector-<hostname>.', 'empty: `kasa-collector-<hostname>`.'],
    ['"default" (<prefix>/<name> JSON)', '"default" (`<prefix>/<name>` JSON)'],
    ['no placeholder, a < b', 'no placeholder, a < b'],
  ])('shows placeholders as code, not HTML: %s', (doc, shown) => {
    const md = renderConfigReference([{ key: 'a.b', doc, default: 1 }]);
    expect(md).toContain(`### \`a.b\`\n\n${shown}\n`);
  });

  it('groups keys under their first level, and a top-level key stands alone', () => {
    const md = renderConfigReference([
      { key: 'devices', doc: 'The plugs.', default: [] },
      { key: 'poll.interval', doc: 'Seconds.', default: 10, env: 'POLL_INTERVAL' },
    ]);
    expect(md).toContain('## `devices`\n\nThe plugs.\n\nDefault: `[]`.\n');
    expect(md).toContain('## `poll`\n\n### `poll.interval`\n\nSeconds.\n\n');
    expect(md).toContain('| [`poll.interval`](#pollinterval) | `10` | `POLL_INTERVAL` |');
  });
});
