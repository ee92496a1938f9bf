import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { WasmgateError } from '../errors.js';
import { opaMessage, runOpa, type OpaTool } from '../toolchain/opa.js';
import { entryFromAnnotation, metadataLines, packageSegmentPattern, type InspectedAnnotation, type MetadataProblem } from './metadata.js';
import { policyActions, type PolicyEntry } from './types.js';

export * from './types.js';
export { idProblem } from './metadata.js';

/** Where the build writes the catalogue, beside policy.wasm. */
export const catalogueFileName = 'catalogue.json';

const policyRoot = ['wasmgate', 'policies'] as const;
const isTestFile = (file: string) => file.endsWith('_test.rego');

interface Inspection {
  readonly namespaces?: Record<string, string[]>;
  readonly annotations?: InspectedAnnotation[];
}

/** The line of the `package` statement of a file (1-based), for packages without metadata. */
function packageLineOf(text: string): number {
  const index = text.split('\n').findIndex((line) => /^package\s/.test(line));
  return index + 1;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function describeProblems(problems: readonly MetadataProblem[]): string[] {
  return [...problems]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line))
    .map((p) => `${p.file}:${p.line}: ${p.message}`);
}

/**
 * The catalogue of a policy directory: every package `wasmgate.policies.<family>.<name>` with the
 * entry its `# METADATA` block describes, sorted by id, read with the pinned OPA
 * (`opa inspect --annotations`). Missing or invalid metadata, and ids used twice, are a
 * METADATA_INVALID error naming file:line and key for each problem.
 */
export async function readCatalogue(policyDir: string, opa: OpaTool): Promise<PolicyEntry[]> {
  const dir = resolve(policyDir);
  // Run in the directory, so that OPA names files relative to it.
  const run = await runOpa(opa, ['inspect', '--annotations', '--format', 'json', '.'], dir);
  if (run.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `opa inspect ${policyDir} failed:\n${opaMessage(run)}`);
  const inspection = JSON.parse(run.stdout) as Inspection;
  const texts = new Map<string, string>();
  const textOf = (file: string) => {
    let text = texts.get(file);
    if (text === undefined) texts.set(file, (text = readFileSync(join(dir, file), 'utf8')));
    return text;
  };
  const problems: MetadataProblem[] = [];
  const entries: PolicyEntry[] = [];

  const annotated = new Map<string, InspectedAnnotation>();
  for (const a of inspection.annotations ?? []) {
    if (a.annotations.scope !== 'package' || isTestFile(a.location.file)) continue;
    const key = a.path.slice(1).map((p) => p.value).join('.');
    annotated.set(key, a);
  }

  for (const [namespace, files] of Object.entries(inspection.namespaces ?? {})) {
    const path = namespace.split('.').slice(1);
    if (path[0] !== policyRoot[0] || path[1] !== policyRoot[1]) continue;
    const sources = files.map((f) => f.split(sep).join('/')).filter((f) => f.endsWith('.rego') && !isTestFile(f));
    if (sources.length === 0) continue;
    // Deeper packages are a policy's helpers; they need no metadata of their own.
    if (path.length > 4) continue;
    const first = sources[0]!;
    const at = (file: string, line: number, message: string) => problems.push({ file, line, message });
    const pkg = path.join('.');
    if (path.length < 4) {
      at(first, packageLineOf(textOf(first)), `package ${pkg}: a policy package is wasmgate.policies.<family>.<name>`);
      continue;
    }
    const [, , family, name] = path as [string, string, string, string];
    const bad = [family, name].filter((s) => !packageSegmentPattern.test(s));
    if (bad.length > 0) {
      at(first, packageLineOf(textOf(first)), `package ${pkg}: ${bad.map((s) => `"${s}"`).join(' and ')} must be a lowercase Rego identifier (letters, digits, _)`);
      continue;
    }
    // OPA itself rejects a package annotated in two files.
    const block = annotated.get(pkg);
    if (!block) {
      at(first, packageLineOf(textOf(first)), `package ${pkg} has no # METADATA block directly above its package line (title, description, custom.id, custom.action, custom.remediation, custom.data)`);
      continue;
    }
    const lines = metadataLines(textOf(block.location.file), block.location.row);
    const result = entryFromAnnotation(block, family, name, lines);
    problems.push(...result.problems);
    if (result.entry) entries.push(result.entry);
  }

  // Policy ids and finding ids share one name space: config.enforcement keys and violations' "policy".
  const keyLine = (e: PolicyEntry, id: string) => {
    const block = annotated.get(e.package)!;
    return metadataLines(textOf(e.file), block.location.row).lineOf(id === e.id ? 'custom.id' : `custom.rules.${id}`);
  };
  const owners = new Map<string, PolicyEntry>();
  for (const entry of entries.sort(byId)) {
    for (const id of [entry.id, ...entry.rules.map((r) => r.id)]) {
      const other = owners.get(id);
      if (!other) owners.set(id, entry);
      else problems.push({ file: entry.file, line: keyLine(entry, id), message: `the id ${id} is also used by ${other.package} (${other.file}:${keyLine(other, id)}): ids must be unique` });
    }
  }
  if (problems.length > 0) {
    const details = describeProblems(problems);
    throw new WasmgateError('METADATA_INVALID', `policy metadata in ${policyDir} is invalid:\n  ${details.join('\n  ')}`, { details });
  }
  return entries;
}

/** Writes the catalogue as the build leaves it beside policy.wasm. */
export function writeCatalogue(file: string, entries: readonly PolicyEntry[]): void {
  writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`);
}

const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function parseEntry(value: unknown, where: string): PolicyEntry {
  const e = value as Record<string, unknown>;
  const fail = (what: string) => {
    throw new WasmgateError('BUNDLE_INVALID', `${where}: ${what}`);
  };
  if (e === null || typeof e !== 'object' || Array.isArray(e)) fail('an entry is not an object');
  for (const key of ['id', 'family', 'name', 'package', 'title', 'description', 'remediation', 'file'] as const) {
    if (typeof e[key] !== 'string') fail(`entry ${String(e.id)}: ${key} is not a string`);
  }
  if (!(policyActions as readonly unknown[]).includes(e.action)) fail(`entry ${String(e.id)}: action ${JSON.stringify(e.action)} is not one of ${policyActions.join(', ')}`);
  if (!stringList(e.data)) fail(`entry ${String(e.id)}: data is not a list of strings`);
  const rules = e.rules;
  if (!Array.isArray(rules) || !rules.every((r) => r !== null && typeof r === 'object' && typeof r.id === 'string' && typeof r.title === 'string')) {
    fail(`entry ${String(e.id)}: rules is not a list of {id, title}`);
  }
  return e as unknown as PolicyEntry;
}

/** Reads a catalogue the build wrote (`wasm/catalogue.json`), checking its shape. */
export function loadCatalogue(file: string): PolicyEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WasmgateError('BUNDLE_INVALID', `cannot read the policy catalogue ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new WasmgateError('BUNDLE_INVALID', `${file}: a policy catalogue is a JSON list of policies`);
  return parsed.map((e) => parseEntry(e, file)).sort(byId);
}
