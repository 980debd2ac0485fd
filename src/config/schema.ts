import type convict from 'convict';
import type { Issue } from './checks.js';
import { SPEC } from './keys.js';
import { isLeaf, type LeafSpec, type SpecTree } from './spec.js';

/** Every key of {@link SPEC} by dotted path, groups left out: `poll.interval` → its spec. */
export function leaves(tree: SpecTree = SPEC, prefix = ''): Map<string, LeafSpec> {
  const out = new Map<string, LeafSpec>();
  for (const [key, node] of Object.entries(tree)) {
    const path = `${prefix}${key}`;
    if (isLeaf(node)) out.set(path, node);
    else for (const [k, v] of leaves(node, `${path}.`)) out.set(k, v);
  }
  return out;
}

/** Marks convict's own one-line report of a failed check, whose details the loader takes from {@link FailedCheck}. */
export const FAILED_CHECK = 'failed check (kasa-collector)';

/**
 * Thrown by a format so convict counts the key as invalid. convict 6 sets `fullName` (the dotted
 * key) on whatever a format throws (`_format` in convict's `src/main.js`) before collecting it.
 */
export class FailedCheck extends Error {
  declare fullName?: string;

  constructor(readonly issues: Issue[]) {
    super(FAILED_CHECK);
  }
}

/**
 * {@link SPEC} as a convict schema whose formats push every {@link FailedCheck} they throw into
 * `failed`, so the loader gets structured issues instead of convict's joined message.
 */
export function convictSchema(
  failed: FailedCheck[],
  tree: SpecTree = SPEC,
): convict.Schema<unknown> {
  const schema: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(tree)) {
    if (!isLeaf(node)) {
      schema[key] = convictSchema(failed, node);
      continue;
    }
    const format = (value: unknown): void => {
      const issues = node.check(value);
      if (issues.length === 0) return;
      const err = new FailedCheck(issues);
      failed.push(err);
      throw err;
    };
    schema[key] = {
      doc: node.doc,
      default: node.default,
      format,
      ...(node.env === undefined ? {} : { env: node.env }),
      ...(node.sensitive ? { sensitive: true } : {}),
    };
  }
  return schema as convict.Schema<unknown>;
}

/** One row of the configuration reference printed by the CLI. */
export interface ConfigKeyDoc {
  /** Dotted path, e.g. `poll.interval`. */
  key: string;
  doc: string;
  default: unknown;
  /** Environment variable overriding the file, if any. */
  env?: string;
}

/** Every key with its doc, default and environment variable, in schema order. */
export function configReference(): ConfigKeyDoc[] {
  return [...leaves()].map(([key, spec]) => ({
    key,
    doc: spec.doc,
    default: structuredClone(spec.default),
    ...(spec.env === undefined ? {} : { env: spec.env }),
  }));
}
