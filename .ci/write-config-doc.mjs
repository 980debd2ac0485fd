// Writes docs/configuration.md from the config schema, formatted as `prettier --check` expects.
// Run through `npm run docs:config`, which builds dist/ first; the staleness test
// (test/config/reference-doc.test.ts) renders the same text and compares.
import { writeFileSync } from 'node:fs';
import { stdout } from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { CONFIG_DOC_PATH, renderConfigReference } from '../dist/config/reference-doc.js';

const file = fileURLToPath(new URL(`../${CONFIG_DOC_PATH}`, import.meta.url));
const options = (await prettier.resolveConfig(file)) ?? {};
writeFileSync(file, await prettier.format(renderConfigReference(), { ...options, filepath: file }));
stdout.write(`wrote ${CONFIG_DOC_PATH}\n`);
