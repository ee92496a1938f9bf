import type { PolicyEntry } from '../policies/types.js';
import type { Report } from './report.js';
import { github } from './github.js';
import { json } from './json.js';
import { junit } from './junit.js';
import { sarif } from './sarif.js';
import { tap } from './tap.js';
import { text } from './text.js';
import { yamlStream } from './yaml.js';

export * from './report.js';

export interface FormatOptions {
  /** ANSI colours (text only): the command turns them on for a TTY. */
  readonly color?: boolean;
  /** List allowed documents too (text only). */
  readonly verbose?: boolean;
  /** wasmgate's version, for formats that name the tool. */
  readonly toolVersion?: string;
  /** The directory the run started in: `github` names files relative to it, as annotations need. */
  readonly cwd?: string;
  /** The policies' catalogue, for formats that describe each policy (sarif's rule descriptors). */
  readonly catalogue?: PolicyCatalogue;
}

/** The catalogue of the policy a run decided with, and where its Rego sources are (when known). */
export interface PolicyCatalogue {
  readonly entries: readonly PolicyEntry[];
  readonly policyDir?: string;
}

/** One output format: a pure function of the report. */
export interface Formatter {
  readonly name: string;
  readonly description: string;
  format(report: Report, options?: FormatOptions): string;
}

export const formatters: Readonly<Record<string, Formatter>> = { text, json, junit, tap, sarif, github, yaml: yamlStream };

export const formatNames = Object.keys(formatters);

export function formatterFor(name: string): Formatter | undefined {
  return Object.hasOwn(formatters, name) ? formatters[name] : undefined;
}
