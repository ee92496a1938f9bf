import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { WasmgateError } from '../errors.js';
import type { OpaTool } from '../toolchain/opa.js';
import { compileTemplate } from './compile.js';
import type { GatekeeperPolicySet } from './evaluator.js';
import { isConstraintObject, isTemplateObject, parseConstraint, parseTemplate, type Constraint, type ConstraintTemplate } from './objects.js';
import { validateParameters } from './parameters.js';
import { readObjects } from './read.js';

/** A directory of templates and constraints, compiled: what the engine evaluates beside (or instead of) its bundle. */
export interface GatekeeperSource extends GatekeeperPolicySet {
  /** Content hash of the compiled templates and the constraints. */
  readonly revision: string;
  /** The directory, as given. */
  readonly source: string;
}

const yamlOrJson = new Set(['.yaml', '.yml', '.json']);

/** The YAML and JSON files under a directory (hidden entries skipped), sorted: also what a reload watches. */
export function gatekeeperFiles(dir: string | undefined): string[] {
  const out: string[] = [];
  if (dir === undefined) return out;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (yamlOrJson.has(extname(entry.name))) out.push(path);
    }
  };
  walk(dir);
  return out;
}

export interface LoadGatekeeperOptions {
  readonly opa: OpaTool;
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

/**
 * Reads every ConstraintTemplate and Constraint under `dir` (other objects are an error: they are
 * probably a mistake), checks each constraint against its template, and compiles the templates.
 */
export async function loadGatekeeperDir(dir: string, options: LoadGatekeeperOptions): Promise<GatekeeperSource> {
  const root = resolve(dir);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new WasmgateError('INPUT_INVALID', `--gatekeeper ${dir}: not a directory`);
  const templates = new Map<string, ConstraintTemplate>();
  const constraints: Constraint[] = [];
  for (const file of gatekeeperFiles(root)) {
    const shown = relative(process.cwd(), file) || file;
    const objects = await readObjects(file, shown);
    objects.forEach((object, i) => {
      const origin = objects.length > 1 ? `${shown} (document ${i})` : shown;
      if (isTemplateObject(object)) {
        const template = parseTemplate(object, origin);
        const other = templates.get(template.kind);
        if (other) throw new WasmgateError('INPUT_INVALID', `${origin}: template ${template.name} is also defined in ${other.origin}`);
        templates.set(template.kind, template);
      } else if (isConstraintObject(object)) {
        constraints.push(parseConstraint(object, origin));
      } else {
        throw new WasmgateError('INPUT_INVALID', `${origin}: ${String(object.kind)} ${String(object.apiVersion)} is neither a ConstraintTemplate nor a Constraint`);
      }
    });
  }
  if (templates.size === 0) throw new WasmgateError('INPUT_INVALID', `--gatekeeper ${dir}: no ConstraintTemplate found`);
  const seen = new Map<string, Constraint>();
  for (const constraint of constraints) {
    const template = templates.get(constraint.kind);
    if (!template) throw new WasmgateError('INPUT_INVALID', `${constraint.origin}: constraint ${constraint.kind}/${constraint.name} has no ConstraintTemplate of kind ${constraint.kind} in ${dir}`);
    const key = `${constraint.kind}/${constraint.name}`;
    if (seen.has(key)) throw new WasmgateError('INPUT_INVALID', `${constraint.origin}: constraint ${key} is also defined in ${seen.get(key)!.origin}`);
    seen.set(key, constraint);
    validateParameters(template, constraint);
  }
  const compiled = [];
  for (const template of templates.values()) {
    if (template.otherEngines.length > 0) {
      options.log?.(`template ${template.name} also has ${template.otherEngines.join(', ')} code, which Gatekeeper may run instead: wasmgate runs its Rego`);
    }
    compiled.push(await compileTemplate(template, options));
  }
  const hash = createHash('sha256');
  for (const t of compiled) hash.update(`${t.template.kind} ${t.hash}\n`);
  for (const c of constraints) hash.update(`${JSON.stringify(c)}\n`);
  return { templates: compiled, constraints, revision: hash.digest('hex').slice(0, 12), source: dir };
}
