/**
 * The shape of the key spec (`keys.ts`): a tree of groups whose leaves are keys with their doc,
 * default, check and environment variable.
 */
import type { Check } from './checks.js';

/** One configuration key: its doc, default, value check and optional environment variable. */
export interface LeafSpec {
  doc: string;
  default: unknown;
  check: Check;
  /** Environment variable that overrides the file; strings are coerced by the default's type. */
  env?: string;
  /** Never shown in messages or by `check-config`. */
  sensitive?: boolean;
}

/** Groups of keys, e.g. `mqtt` holding `url`, `qos`, … */
export interface SpecTree {
  [key: string]: LeafSpec | SpecTree;
}

/** True when `node` is a key rather than a group. */
export function isLeaf(node: LeafSpec | SpecTree): node is LeafSpec {
  return typeof node['check'] === 'function';
}
