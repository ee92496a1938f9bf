import { WasmgateError } from '../errors.js';
import type { EnforcementAction } from '../engine/decision.js';
import { parseMatch, type Match } from './match.js';
import { isRecord } from './json.js';

/** The one target Gatekeeper's templates name: Kubernetes admission. */
export const admissionTarget = 'admission.k8s.gatekeeper.sh';
export const templateGroup = 'templates.gatekeeper.sh';
export const constraintGroup = 'constraints.gatekeeper.sh';
const templateVersions = ['v1', 'v1beta1', 'v1alpha1'];
const constraintVersions = ['v1', 'v1beta1', 'v1alpha1'];

export type RegoVersion = 'v0' | 'v1';

/** A ConstraintTemplate as wasmgate runs it: its Rego (entry module and libs) and its parameters' schema. */
export interface ConstraintTemplate {
  /** metadata.name, e.g. k8srequiredlabels. */
  readonly name: string;
  /** The kind of its constraints (spec.crd.spec.names.kind), e.g. K8sRequiredLabels. */
  readonly kind: string;
  readonly rego: string;
  readonly libs: readonly string[];
  readonly regoVersion: RegoVersion;
  /** spec.crd.spec.validation.openAPIV3Schema: what spec.parameters of a constraint must satisfy. */
  readonly parametersSchema?: Readonly<Record<string, unknown>>;
  /** The target's operations: for the webhook only, as in Gatekeeper (empty: all). */
  readonly operations: readonly string[];
  /** Engines of the target's other code entries (K8sNativeValidation: CEL), which wasmgate does not run. */
  readonly otherEngines: readonly string[];
  /** Where it was read, for messages. */
  readonly origin: string;
}

export interface Constraint {
  readonly kind: string;
  readonly name: string;
  readonly enforcementAction: EnforcementAction;
  readonly match?: Match;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly origin: string;
}

type Json = Record<string, unknown>;


function invalid(origin: string, what: string): WasmgateError {
  return new WasmgateError('INPUT_INVALID', `${origin}: ${what}`);
}

function field(object: Json, path: readonly string[]): unknown {
  let value: unknown = object;
  for (const key of path) value = isRecord(value) ? value[key] : undefined;
  return value;
}

function stringList(value: unknown, origin: string, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw invalid(origin, `${where} must be a list of strings`);
  return value;
}

function groupVersion(object: Json): { group: string; version: string } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function isTemplateObject(object: Json): boolean {
  return object.kind === 'ConstraintTemplate' && groupVersion(object).group === templateGroup;
}

export function isConstraintObject(object: Json): boolean {
  return groupVersion(object).group === constraintGroup;
}

/**
 * The Rego of the template's one target, as Gatekeeper reads it: `rego` (and `libs`) on the target,
 * always v0, else the first `code` entry of engine Rego, whose `source.version: v1` selects Rego v1.
 */
function regoSource(target: Json, origin: string): { rego: string; libs: string[]; regoVersion: RegoVersion } {
  if (typeof target.rego === 'string' && target.rego !== '') {
    return { rego: target.rego, libs: stringList(target.libs, origin, 'spec.targets[0].libs'), regoVersion: 'v0' };
  }
  const code = Array.isArray(target.code) ? target.code : [];
  const entry = code.find((c) => isRecord(c) && c.engine === 'Rego') as Json | undefined;
  if (!entry) {
    const engines = code.filter(isRecord).map((c) => String(c.engine));
    throw invalid(
      origin,
      `the template has no Rego (spec.targets[0].rego or a code entry with engine: Rego)${engines.length > 0 ? `; it has only ${engines.join(', ')}, which wasmgate does not run` : ''}`,
    );
  }
  const source = entry.source;
  if (!isRecord(source) || typeof source.rego !== 'string') throw invalid(origin, 'the Rego code entry has no source.rego string');
  const version = source.version ?? 'v0';
  return {
    rego: source.rego,
    libs: stringList(source.libs, origin, 'the Rego code entry\'s source.libs'),
    regoVersion: version === 'v1' ? 'v1' : 'v0',
  };
}

export function parseTemplate(object: Json, origin: string): ConstraintTemplate {
  const { group, version } = groupVersion(object);
  if (object.kind !== 'ConstraintTemplate' || group !== templateGroup) throw invalid(origin, 'not a ConstraintTemplate (templates.gatekeeper.sh)');
  if (!templateVersions.includes(version)) throw invalid(origin, `unsupported ConstraintTemplate version ${version} (supported: ${templateVersions.join(', ')})`);
  const name = field(object, ['metadata', 'name']);
  if (typeof name !== 'string' || name === '') throw invalid(origin, 'the template has no metadata.name');
  const kind = field(object, ['spec', 'crd', 'spec', 'names', 'kind']);
  if (typeof kind !== 'string' || kind === '') throw invalid(origin, `template ${name} has no spec.crd.spec.names.kind`);
  if (kind.toLowerCase() !== name) throw invalid(origin, `template ${name}: metadata.name must be the lowercase of its kind ${kind} (${kind.toLowerCase()})`);
  const targets = field(object, ['spec', 'targets']);
  if (!Array.isArray(targets) || targets.length !== 1 || !isRecord(targets[0])) {
    throw invalid(origin, `template ${name} must have exactly one target (spec.targets)`);
  }
  const target = targets[0];
  if (target.target !== admissionTarget) throw invalid(origin, `template ${name} targets ${String(target.target)}; wasmgate runs only ${admissionTarget}`);
  const schema = field(object, ['spec', 'crd', 'spec', 'validation', 'openAPIV3Schema']);
  if (schema !== undefined && schema !== null && !isRecord(schema)) throw invalid(origin, `template ${name}: openAPIV3Schema must be an object`);
  return {
    name,
    kind,
    ...regoSource(target, `${origin}: template ${name}`),
    ...(isRecord(schema) ? { parametersSchema: schema } : {}),
    operations: stringList(target.operations, origin, 'spec.targets[0].operations'),
    otherEngines: (Array.isArray(target.code) ? target.code : []).filter(isRecord).map((c) => String(c.engine)).filter((e) => e !== 'Rego'),
    origin,
  };
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function enforcementAction(value: unknown, origin: string): EnforcementAction {
  if (value === undefined || value === null || value === '') return 'deny';
  if (value === 'deny' || value === 'warn' || value === 'dryrun') return value;
  if (value === 'scoped') throw invalid(origin, 'enforcementAction: scoped (per enforcement point) is not supported by wasmgate; use deny, warn or dryrun');
  throw invalid(origin, `enforcementAction ${JSON.stringify(value)} is not one of deny, warn, dryrun`);
}

/** A constraint's own fields; its parameters are checked against its template separately. */
export function parseConstraint(object: Json, origin: string): Constraint {
  const { group, version } = groupVersion(object);
  const name = field(object, ['metadata', 'name']);
  if (typeof name !== 'string' || name === '') throw invalid(origin, 'the constraint has no metadata.name');
  const where = `${origin}: constraint ${String(object.kind)}/${name}`;
  if (group !== constraintGroup) throw invalid(where, `unsupported group ${JSON.stringify(group)}; allowed group: ${constraintGroup}`);
  if (!constraintVersions.includes(version)) throw invalid(where, `unsupported version ${JSON.stringify(version)} (supported: ${constraintVersions.join(', ')})`);
  if (typeof object.kind !== 'string' || object.kind === '') throw invalid(where, 'the constraint has no kind');
  if (name.length > 253 || !dns1123Subdomain.test(name)) throw invalid(where, `invalid name ${JSON.stringify(name)}: a DNS-1123 subdomain (lowercase letters, digits, '-', '.')`);
  const spec = object.spec ?? {};
  if (!isRecord(spec)) throw invalid(where, 'spec must be an object');
  const parameters = spec.parameters ?? {};
  if (!isRecord(parameters)) throw invalid(where, 'spec.parameters must be an object');
  return {
    kind: object.kind,
    name,
    enforcementAction: enforcementAction(spec.enforcementAction, where),
    ...(spec.match !== undefined && spec.match !== null ? { match: parseMatch(spec.match, where) } : {}),
    parameters,
    origin,
  };
}
