import { WasmgateError } from '../errors.js';
import { isRecord } from './json.js';

// Gatekeeper's `spec.match` (pkg/mutation/match/match.go), evaluated in TypeScript before any Rego.

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export interface Match {
  readonly kinds: readonly { readonly apiGroups: readonly string[]; readonly kinds: readonly string[] }[];
  readonly scope?: string;
  readonly namespaces: readonly string[];
  readonly excludedNamespaces: readonly string[];
  readonly labelSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly name?: string;
  readonly source?: string;
}

export type KubeObject = Readonly<Record<string, unknown>>;

/** What a match is decided on: one object (the request's object or old object) and its Namespace, if known. */
export interface Matchable {
  readonly object: KubeObject;
  readonly namespace?: KubeObject;
  /** Original (a request as it came) or Generated (expansion, which wasmgate does not do). */
  readonly source: 'Original' | 'Generated';
}


function strings(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
    throw new WasmgateError('INPUT_INVALID', `${where} must be a list of strings`);
  }
  return value;
}

const labelOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

function parseSelector(value: unknown, where: string): LabelSelector {
  if (!isRecord(value)) throw new WasmgateError('INPUT_INVALID', `${where} must be an object`);
  const matchLabels = value.matchLabels ?? {};
  if (!isRecord(matchLabels) || !Object.values(matchLabels).every((v) => typeof v === 'string')) {
    throw new WasmgateError('INPUT_INVALID', `${where}.matchLabels must map label keys to strings`);
  }
  const expressions = value.matchExpressions ?? [];
  if (!Array.isArray(expressions)) throw new WasmgateError('INPUT_INVALID', `${where}.matchExpressions must be a list`);
  const matchExpressions = expressions.map((e, i): LabelSelectorRequirement => {
    const at = `${where}.matchExpressions[${i}]`;
    if (!isRecord(e) || typeof e.key !== 'string') throw new WasmgateError('INPUT_INVALID', `${at} must have a key`);
    const operator = e.operator as LabelSelectorRequirement['operator'];
    if (!labelOperators.includes(operator)) {
      throw new WasmgateError('INPUT_INVALID', `${at}.operator ${JSON.stringify(e.operator)} is not one of ${labelOperators.join(', ')}`);
    }
    const values = strings(e.values, `${at}.values`);
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      throw new WasmgateError('INPUT_INVALID', `${at}.values: must be specified when operator is In or NotIn`);
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
      throw new WasmgateError('INPUT_INVALID', `${at}.values: may not be specified when operator is Exists or DoesNotExist`);
    }
    return { key: e.key, operator, values };
  });
  return { matchLabels: matchLabels as Record<string, string>, matchExpressions };
}

export function parseMatch(value: unknown, where: string): Match {
  if (!isRecord(value)) throw new WasmgateError('INPUT_INVALID', `${where}: spec.match must be an object`);
  const at = `${where}: spec.match`;
  const kinds = value.kinds ?? [];
  if (!Array.isArray(kinds)) throw new WasmgateError('INPUT_INVALID', `${at}.kinds must be a list`);
  const optionalString = (key: string): string | undefined => {
    const v = value[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new WasmgateError('INPUT_INVALID', `${at}.${key} must be a string`);
    return v;
  };
  const scope = optionalString('scope');
  const name = optionalString('name');
  const source = optionalString('source');
  return {
    kinds: kinds.map((k, i) => {
      if (!isRecord(k)) throw new WasmgateError('INPUT_INVALID', `${at}.kinds[${i}] must be an object`);
      return { apiGroups: strings(k.apiGroups, `${at}.kinds[${i}].apiGroups`), kinds: strings(k.kinds, `${at}.kinds[${i}].kinds`) };
    }),
    namespaces: strings(value.namespaces, `${at}.namespaces`),
    excludedNamespaces: strings(value.excludedNamespaces, `${at}.excludedNamespaces`),
    ...(scope !== undefined ? { scope } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(value.labelSelector !== undefined && value.labelSelector !== null ? { labelSelector: parseSelector(value.labelSelector, `${at}.labelSelector`) } : {}),
    ...(value.namespaceSelector !== undefined && value.namespaceSelector !== null
      ? { namespaceSelector: parseSelector(value.namespaceSelector, `${at}.namespaceSelector`) }
      : {}),
  };
}

/** Gatekeeper's wildcard (pkg/wildcard): `pre*`, `*suf`, `*mid*`, else an exact name. */
export function wildcardMatches(pattern: string, candidate: string): boolean {
  const starts = pattern.startsWith('*');
  const ends = pattern.endsWith('*');
  if (starts && ends) return candidate.includes(pattern.slice(1, -1));
  if (starts) return candidate.endsWith(pattern.slice(1));
  if (ends) return candidate.startsWith(pattern.slice(0, -1));
  return pattern === candidate;
}

function wildcardMatchesGenerateName(pattern: string, candidate: string): boolean {
  if (pattern.startsWith('*') && pattern.endsWith('*')) return candidate.includes(pattern.slice(1, -1));
  if (pattern.endsWith('*')) return candidate.startsWith(pattern.slice(0, -1));
  return false;
}

function metadata(object: KubeObject): Record<string, unknown> {
  return isRecord(object.metadata) ? object.metadata : {};
}

function metaString(object: KubeObject, key: string): string {
  const v = metadata(object)[key];
  return typeof v === 'string' ? v : '';
}

function labelsOf(object: KubeObject): Record<string, unknown> {
  const labels = metadata(object).labels;
  return isRecord(labels) ? labels : {};
}

export function groupVersionKind(object: KubeObject): { group: string; version: string; kind: string } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  const kind = typeof object.kind === 'string' ? object.kind : '';
  return slash < 0 ? { group: '', version: apiVersion, kind } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

export function isNamespace(object: KubeObject): boolean {
  const gvk = groupVersionKind(object);
  return gvk.kind === 'Namespace' && gvk.group === '';
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, unknown>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) if (labels[key] !== value) return false;
  for (const { key, operator, values } of selector.matchExpressions) {
    const has = Object.hasOwn(labels, key);
    const value = String(labels[key]);
    const ok =
      operator === 'In' ? has && values.includes(value)
      : operator === 'NotIn' ? !has || !values.includes(value)
      : operator === 'Exists' ? has
      : !has;
    if (!ok) return false;
  }
  return true;
}

/** The namespace name the namespace criteria test, or undefined when the object has none. */
function namespaceName(target: Matchable): string | undefined {
  if (isNamespace(target.object)) return metaString(target.object, 'name');
  if (target.namespace) return metaString(target.namespace, 'name');
  const own = metaString(target.object, 'namespace');
  return own === '' ? undefined : own;
}

type Criterion = (match: Match, target: Matchable) => boolean;

const criteria: readonly Criterion[] = [
  function kinds(match, target) {
    if (match.kinds.length === 0) return true;
    const gvk = groupVersionKind(target.object);
    return match.kinds.some(
      (k) =>
        (k.kinds.length === 0 || k.kinds.includes('*') || k.kinds.includes(gvk.kind)) &&
        (k.apiGroups.length === 0 || k.apiGroups.includes('*') || k.apiGroups.includes(gvk.group)),
    );
  },
  function scope(match, target) {
    const hasNamespace = metaString(target.object, 'namespace') !== '' || target.namespace !== undefined;
    const namespace = isNamespace(target.object);
    if (match.scope === 'Cluster') return namespace || !hasNamespace;
    if (match.scope === 'Namespaced') return !namespace && hasNamespace;
    return true;
  },
  function namespaces(match, target) {
    const ns = match.namespaces.length === 0 ? undefined : namespaceName(target);
    return ns === undefined || match.namespaces.some((p) => wildcardMatches(p, ns));
  },
  function excludedNamespaces(match, target) {
    const ns = match.excludedNamespaces.length === 0 ? undefined : namespaceName(target);
    return ns === undefined || !match.excludedNamespaces.some((p) => wildcardMatches(p, ns));
  },
  function labelSelector(match, target) {
    return !match.labelSelector || selectorMatches(match.labelSelector, labelsOf(target.object));
  },
  function namespaceSelector(match, target) {
    if (!match.namespaceSelector) return true;
    const namespace = isNamespace(target.object);
    if (!namespace && !target.namespace && metaString(target.object, 'namespace') === '') return true;
    if (namespace) return selectorMatches(match.namespaceSelector, labelsOf(target.object));
    if (!target.namespace) throw new MatchError('namespace selector for namespace-scoped object but missing Namespace');
    return selectorMatches(match.namespaceSelector, labelsOf(target.namespace));
  },
  function name(match, target) {
    if (!match.name) return true;
    return wildcardMatches(match.name, metaString(target.object, 'name')) || wildcardMatchesGenerateName(match.name, metaString(target.object, 'generateName'));
  },
  function source(match, target) {
    const wanted = match.source || 'All';
    if (!['All', 'Original', 'Generated'].includes(wanted)) throw new MatchError(`invalid source field ${JSON.stringify(wanted)}`);
    return wanted === 'All' || wanted === target.source;
  },
];

/** A match that could not be decided; Gatekeeper turns it into a violation ("autoreject"). */
export class MatchError extends Error {}

/** Gatekeeper's match.Matches: every criterion the constraint sets must hold. */
export function matches(match: Match, target: Matchable): boolean {
  for (const criterion of criteria) {
    try {
      if (!criterion(match, target)) return false;
    } catch (err) {
      if (err instanceof MatchError) throw new MatchError(`failed to run Match criteria: ${err.message}`);
      throw err;
    }
  }
  return true;
}
