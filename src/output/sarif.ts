import { isAbsolute, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeObject } from '../admission/synthesize.js';
import type { FormatOptions, Formatter, PolicyCatalogue } from './index.js';
import { workspacePath, type Report } from './report.js';

const levels = { deny: 'error', warn: 'warning', dryrun: 'note' } as const;
const inputErrorRule = 'wasmgate/input-error';
const evaluationErrorRule = 'wasmgate/evaluation-error';

/** A file as a SARIF artifact URI: relative paths stay relative (to the directory the run started in). */
export function artifactUri(file: string): string {
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return encodeURI(file.split(sep).join('/'));
}

function location(file: string, line: number | undefined, objectName?: string, cwd?: string) {
  return {
    physicalLocation: {
      artifactLocation: { uri: artifactUri(workspacePath(file, cwd)) },
      ...(line !== undefined && line >= 1 ? { region: { startLine: line } } : {}),
    },
    ...(objectName ? { logicalLocations: [{ name: objectName, kind: 'object' }] } : {}),
  };
}

interface RuleDescriptor {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly fullDescription?: { readonly text: string };
  readonly help?: { readonly text: string };
  readonly helpUri?: string;
  readonly defaultConfiguration?: { readonly level: (typeof levels)[keyof typeof levels] };
}

/**
 * A descriptor for every policy of the catalogue and each of its finding ids, from the METADATA:
 * title, description, remediation as help, the policy's file as help URI (SARIF wants an absolute
 * URI), the default action as level.
 */
function catalogueDescriptors(catalogue: PolicyCatalogue | undefined): Map<string, RuleDescriptor> {
  const descriptors = new Map<string, RuleDescriptor>();
  for (const entry of catalogue?.entries ?? []) {
    const common = {
      ...(entry.description ? { fullDescription: { text: entry.description } } : {}),
      help: { text: entry.remediation },
      ...(catalogue?.policyDir !== undefined ? { helpUri: pathToFileURL(join(catalogue.policyDir, entry.file)).href } : {}),
      defaultConfiguration: { level: levels[entry.action] },
    };
    descriptors.set(entry.id, { id: entry.id, name: entry.id, shortDescription: { text: entry.title }, ...common });
    for (const rule of entry.rules) descriptors.set(rule.id, { id: rule.id, name: rule.id, shortDescription: { text: rule.title }, ...common });
  }
  return descriptors;
}

function fallbackDescriptor(id: string): RuleDescriptor {
  const text = id === inputErrorRule ? 'Input that could not be read' : id === evaluationErrorRule ? 'A document the policy could not decide' : `wasmgate policy ${id}`;
  return { id, name: id, shortDescription: { text } };
}

/**
 * SARIF 2.1.0 for code scanning: one result per violation (deny error, warn warning, dryrun note) and per
 * input error; a rule descriptor for every policy of the catalogue and every id a result names.
 */
export const sarif: Formatter = {
  name: 'sarif',
  description: 'SARIF 2.1.0, for code scanning',
  format(report: Report, options: FormatOptions = {}): string {
    const ruleIds = new Set<string>();
    const results: ({ ruleId: string } & Record<string, unknown>)[] = [];
    for (const r of report.results) {
      const name = describeObject(r.object);
      if (r.error) {
        ruleIds.add(evaluationErrorRule);
        results.push({
          ruleId: evaluationErrorRule,
          level: 'error',
          message: { text: `${name}: ${r.error}` },
          locations: [location(r.source.file, r.source.line, name, options.cwd)],
        });
      }
      for (const v of r.violations) {
        ruleIds.add(v.policy);
        results.push({
          ruleId: v.policy,
          level: levels[v.action],
          message: { text: v.message },
          locations: [location(r.source.file, v.line ?? r.source.line, name, options.cwd)],
          properties: { action: v.action, ...(v.path ? { path: v.path } : {}), document: r.source.document },
        });
      }
    }
    for (const p of report.problems) {
      ruleIds.add(inputErrorRule);
      results.push({ ruleId: inputErrorRule, level: 'error', message: { text: p.message }, locations: [location(p.file, p.line, undefined, options.cwd)] });
    }
    const described = catalogueDescriptors(options.catalogue);
    const rules = [...new Set([...ruleIds, ...described.keys()])].sort().map((id) => described.get(id) ?? fallbackDescriptor(id));
    const ruleIndex = new Map(rules.map((rule, i) => [rule.id, i]));
    const log = {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'wasmgate',
              ...(options.toolVersion ? { version: options.toolVersion } : {}),
              rules,
            },
          },
          results: results.map((result) => ({ ...result, ruleIndex: ruleIndex.get(result.ruleId) })),
          // Notes are about the run (what was skipped or assumed), not findings: SARIF's place for them.
          invocations: [
            {
              executionSuccessful: true,
              toolExecutionNotifications: (report.notes ?? []).map((n) => ({ level: 'note', message: { text: n.message }, locations: [location(n.file, n.line, undefined, options.cwd)] })),
            },
          ],
        },
      ],
    };
    return `${JSON.stringify(log, null, 2)}\n`;
  },
};
