import { policyActions, type PolicyAction, type PolicyEntry, type PolicyRule } from './types.js';

/**
 * A policy id: dot-separated lowercase words, `-` or `_` inside a word (`calico.order`,
 * `system-namespaces`, `pod-security.host-ports`). "config" is taken: invalid configuration is
 * reported under that policy.
 */
const idPattern = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*)*$/;
const reservedIds = new Set(['config']);
/** A data key as a policy reads it: `config.calico.orderThreshold`. */
const dataKeyPattern = /^config(?:\.[A-Za-z0-9_-]+)+$/;
/** `<family>` and `<name>` of a package path: Rego identifiers, lowercase. */
export const packageSegmentPattern = /^[a-z][a-z0-9_]*$/;

/** Why an id is not a policy id, or undefined when it is one. */
export function idProblem(id: string): string | undefined {
  if (reservedIds.has(id)) return `"${id}" is reserved (wasmgate reports invalid configuration under it)`;
  if (!idPattern.test(id)) return `"${id}" is not a policy id (lowercase words separated by ".", "-" or "_" inside a word, e.g. labels.team)`;
  return undefined;
}

/** Where each key of a METADATA block is, for messages: "custom.id" → line. */
export interface MetadataLines {
  /** The `# METADATA` line (else the package line). */
  readonly start: number;
  lineOf(key: string): number;
}

/**
 * Lines of the comment block above `package` (1-based `packageLine`), keyed by YAML path. The block
 * is the YAML OPA parsed; an indented-key scan is enough to point at the line of each key.
 */
export function metadataLines(text: string, packageLine: number): MetadataLines {
  const lines = text.split('\n');
  let start = packageLine;
  for (let i = packageLine - 2; i >= 0 && lines[i]!.trimStart().startsWith('#'); i--) {
    if (/^\s*#\s*METADATA\s*$/.test(lines[i]!)) {
      start = i + 1;
      break;
    }
  }
  const keys = new Map<string, number>();
  const stack: { indent: number; key: string; items: number }[] = [];
  for (let line = start + 1; line < packageLine; line++) {
    const body = lines[line - 1]!.replace(/^\s*# ?/, '');
    const indent = body.length - body.trimStart().length;
    const key = /^\s*([^\s:#][^:#]*?):(?:\s|$)/.exec(body)?.[1];
    const item = /^\s*- /.test(body);
    if (key === undefined && !item) continue;
    while (stack.length > 0 && stack.at(-1)!.indent >= indent && !(item && stack.at(-1)!.indent === indent)) stack.pop();
    if (item) {
      const parent = stack.at(-1);
      if (parent) keys.set(`${[...stack.map((s) => s.key)].join('.')}[${parent.items++}]`, line);
      continue;
    }
    stack.push({ indent, key: key!, items: 0 });
    keys.set(stack.map((s) => s.key).join('.'), line);
  }
  // A missing key is pointed at its parent's line ("custom:"), else the METADATA line.
  const lineOf = (key: string): number => keys.get(key) ?? (key.includes('.') ? lineOf(key.slice(0, key.lastIndexOf('.'))) : start);
  return { start, lineOf };
}

/** A package-scoped annotation as `opa inspect -a --format json` prints it. */
export interface InspectedAnnotation {
  readonly annotations: {
    readonly scope?: string;
    readonly title?: unknown;
    readonly description?: unknown;
    readonly custom?: unknown;
  };
  readonly location: { readonly file: string; readonly row: number };
  readonly path: readonly { readonly type: string; readonly value: string }[];
}

/** A problem found in metadata, located. */
export interface MetadataProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const shown = (v: unknown) => JSON.stringify(v);

/**
 * The catalogue entry a policy package's METADATA describes, or the problems that keep it from being
 * one (each naming its file:line and key).
 */
export function entryFromAnnotation(
  annotation: InspectedAnnotation,
  family: string,
  name: string,
  lines: MetadataLines,
): { entry?: PolicyEntry; problems: MetadataProblem[] } {
  const file = annotation.location.file;
  const problems: MetadataProblem[] = [];
  const problem = (key: string, message: string) => problems.push({ file, line: lines.lineOf(key), message: `${key}: ${message}` });
  const { title, description } = annotation.annotations;
  const custom = isRecord(annotation.annotations.custom) ? annotation.annotations.custom : undefined;

  if (!nonEmptyString(title)) problem('title', title === undefined ? 'missing (a short one-line title)' : `must be a non-empty string, not ${shown(title)}`);
  else if (title.includes('\n')) problem('title', 'must be one line');
  if (description !== undefined && typeof description !== 'string') problem('description', `must be a string, not ${shown(description)}`);
  if (!custom) {
    problem('custom', 'missing (custom.id, custom.action and custom.remediation are required)');
    return { problems };
  }
  const { id, action, remediation, data, rules } = custom;
  if (id === undefined) problem('custom.id', 'missing (the policy id, e.g. labels.team)');
  else if (typeof id !== 'string') problem('custom.id', `must be a string, not ${shown(id)}`);
  else {
    const why = idProblem(id);
    if (why) problem('custom.id', why);
  }
  if (action === undefined) problem('custom.action', `missing (one of ${policyActions.join(', ')})`);
  else if (!(policyActions as readonly unknown[]).includes(action)) problem('custom.action', `is ${shown(action)}; expected one of ${policyActions.join(', ')}`);
  if (remediation === undefined) problem('custom.remediation', 'missing (one or two sentences: how to fix a finding)');
  else if (!nonEmptyString(remediation)) problem('custom.remediation', `must be a non-empty string, not ${shown(remediation)}`);

  const dataKeys: string[] = [];
  if (data !== undefined && data !== null) {
    if (!Array.isArray(data)) problem('custom.data', `must be a list of data keys (e.g. - config.${family}.x), not ${shown(data)}`);
    else
      data.forEach((key: unknown, i) => {
        if (typeof key === 'string' && dataKeyPattern.test(key)) dataKeys.push(key);
        else problem(`custom.data[${i}]`, `${shown(key)} is not a data key (dotted, under config: config.${family}.x)`);
      });
  }
  const ruleList: PolicyRule[] = [];
  if (rules !== undefined && rules !== null) {
    if (!isRecord(rules)) problem('custom.rules', `must map finding ids to titles, not ${shown(rules)}`);
    else
      for (const [ruleId, ruleTitle] of Object.entries(rules)) {
        const key = `custom.rules.${ruleId}`;
        const why = idProblem(ruleId);
        if (why) problem(key, why);
        else if (typeof id === 'string' && !ruleId.startsWith(`${id}.`)) problem(key, `a finding id is below the policy id: ${id}.<something>`);
        if (!nonEmptyString(ruleTitle)) problem(key, `needs a title, not ${shown(ruleTitle)}`);
        ruleList.push({ id: ruleId, title: String(ruleTitle) });
      }
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    entry: {
      id: id as string,
      family,
      name,
      package: `wasmgate.policies.${family}.${name}`,
      title: (title as string).trim(),
      description: typeof description === 'string' ? description.trim() : '',
      remediation: (remediation as string).trim(),
      action: action as PolicyAction,
      data: dataKeys,
      rules: ruleList.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      file,
    },
  };
}
