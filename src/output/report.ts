import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Decision, JsonPatchOp, Mutation, Violation } from '../engine/index.js';
import { stdinName, type InputNote, type InputProblem, type SourceRef } from '../manifests/index.js';
import type { ObjectRef } from '../admission/synthesize.js';

/**
 * The result model of an offline run. It does the decision arithmetic (outcomes, counts, exit code)
 * so that every formatter only prints.
 */

export type Outcome = 'allowed' | 'warned' | 'denied' | 'error';

/** A violation with the line its field path points at, when the input had positions. */
export interface LocatedViolation extends Violation {
  readonly line?: number;
}

export interface DocumentResult {
  readonly source: SourceRef;
  readonly object: ObjectRef;
  readonly outcome: Outcome;
  readonly violations: readonly LocatedViolation[];
  /** Why the document could not be decided (outcome "error"). */
  readonly error?: string;
  /** What the mutating webhook would change (PSP's defaulting), in order; none when absent. */
  readonly patch?: readonly JsonPatchOp[];
  /** The PodSecurityPolicy chosen by the mutation; none when absent. */
  readonly profile?: string | null;
  /** For a workload: what the mutating webhook would do to each pod it creates, in the workload's paths. */
  readonly pods?: Mutation;
  /** The object as the API server would store it: defaults applied (none for a DELETE or an error). */
  readonly stored?: Readonly<Record<string, unknown>>;
}

export interface Report {
  /** Every input file in the order read. */
  readonly files: readonly string[];
  /** One result per decided document, in input order. */
  readonly results: readonly DocumentResult[];
  /** Input that could not be read or decided at all. */
  readonly problems: readonly InputProblem[];
  /** What was skipped or assumed about the input; never a failure. */
  readonly notes?: readonly InputNote[];
  /** Whether warnings fail the run (`--fail-on-warn`). */
  readonly failOnWarn: boolean;
}

export interface Summary {
  readonly files: number;
  readonly documents: number;
  readonly allowed: number;
  readonly warned: number;
  readonly denied: number;
  readonly errors: number;
  readonly problems: number;
}

export function outcomeOf(decision: Decision): Outcome {
  if (!decision.allowed) return 'denied';
  if (decision.violations.some((v) => v.action === 'warn')) return 'warned';
  return 'allowed';
}

export function summarize(report: Report): Summary {
  const count = (outcome: Outcome) => report.results.filter((r) => r.outcome === outcome).length;
  return {
    files: report.files.length,
    documents: report.results.length,
    allowed: count('allowed'),
    warned: count('warned'),
    denied: count('denied'),
    errors: count('error'),
    problems: report.problems.length,
  };
}

/** Whether a result fails the run: a denial, or a warning under --fail-on-warn. Errors are counted apart. */
export function isFailure(result: DocumentResult, failOnWarn: boolean): boolean {
  return result.outcome === 'denied' || (failOnWarn && result.outcome === 'warned');
}

export const exitCodes = { ok: 0, denied: 1, inputError: 2 } as const;

/** 2 when any input could not be read or decided, else 1 when anything failed, else 0. */
export function exitCodeOf(report: Report): number {
  if (report.problems.length > 0 || report.results.some((r) => r.outcome === 'error')) return exitCodes.inputError;
  if (report.results.some((r) => isFailure(r, report.failOnWarn))) return exitCodes.denied;
  return exitCodes.ok;
}

interface Position {
  readonly file: string;
  readonly line?: number;
  readonly document?: number;
  readonly item?: number;
}

/** "line 3, document 1, item 4" (what is known of it). */
export function describePosition(at: Omit<Position, 'file'>): string {
  const parts: string[] = [];
  if (at.line !== undefined) parts.push(`line ${at.line}`);
  if (at.document !== undefined) parts.push(`document ${at.document}`);
  if (at.item !== undefined) parts.push(`item ${at.item}`);
  return parts.join(', ');
}

/** "file:line (document 1, item 4)", for messages. */
export function describeSource(at: Position): string {
  const where = at.line !== undefined ? `${at.file}:${at.line}` : at.file;
  const rest = describePosition({ document: at.document, item: at.item });
  return rest ? `${where} (${rest})` : where;
}

/** "1 document", "2 documents". */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

/** The one-line summary every human-facing format ends with. */
export function summaryLine(report: Report): string {
  const s = summarize(report);
  const parts = [`${s.allowed} allowed`, `${s.warned} warned`, `${s.denied} denied`];
  if (s.errors > 0) parts.push(plural(s.errors, 'evaluation error'));
  if (s.problems > 0) parts.push(plural(s.problems, 'input error'));
  return `${plural(s.documents, 'document')} in ${plural(s.files, 'file')}: ${parts.join(', ')}`;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * A file as code-scanning tools place it: relative to the directory the run started in (the
 * repository's root in CI), with `/`. Files outside it, and `<stdin>`, stay as given.
 */
export function workspacePath(file: string, cwd: string | undefined): string {
  if (cwd === undefined || file === stdinName) return file;
  const path = relative(cwd, resolve(cwd, file));
  return path === '' || path.startsWith('..') || isAbsolute(path) ? file : path.split(sep).join('/');
}
