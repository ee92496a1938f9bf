import yaml from 'js-yaml';

/**
 * Reading YAML the way kubectl does, with positions.
 *
 * kubectl turns YAML into JSON with sigs.k8s.io/yaml, which follows YAML 1.1: `yes`/`no`/`on`/`off`
 * are booleans, `0644` is octal and timestamps stay strings. js-yaml follows YAML 1.2 by default,
 * which would let `privileged: yes` reach the policy as a string the API server never sends.
 * The schema below restores the 1.1 readings, so the policy sees what the cluster would see.
 */

const yes = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const no = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];

const bool11 = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (yes.includes(data) || no.includes(data)),
  construct: (data: string) => yes.includes(data),
  predicate: (value: object) => typeof value === 'boolean',
  represent: (value: object) => (value ? 'true' : 'false'),
});

// Go's strconv.ParseInt(s, 0, 64) after removing underscores, as the YAML 1.1 reader kubectl uses does.
const intPatterns: readonly [RegExp, number][] = [
  [/^[-+]?0b[01]+$/, 2],
  [/^[-+]?0x[0-9a-fA-F]+$/, 16],
  [/^[-+]?0o?[0-7]+$/, 8],
  [/^[-+]?(?:0|[1-9][0-9]*)$/, 10],
];

function parseInt11(data: string): number | undefined {
  const plain = data.replace(/_/g, '');
  for (const [pattern, radix] of intPatterns) {
    if (!pattern.test(plain)) continue;
    const negative = plain.startsWith('-');
    const digits = plain.replace(/^[-+]/, '').replace(radix === 10 ? /^$/ : /^0[box]?/, '');
    const value = radix === 10 ? Number(digits) : parseInt(digits === '' ? '0' : digits, radix);
    return negative ? -value : value;
  }
  return undefined;
}

const int11 = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && /[0-9]/.test(data) && parseInt11(data) !== undefined,
  construct: (data: string) => parseInt11(data),
  predicate: (value: object) => Number.isInteger(value),
  represent: (value: object) => String(value),
});

// A timestamp-looking scalar stays a string: sigs.k8s.io/yaml never turns one into a date.
const noTimestamp = new yaml.Type('tag:yaml.org,2002:timestamp', { kind: 'scalar', resolve: () => false });

// goyaml.v2 reads a value with a tag it does not know (`!foo 12`, `!<tag:example.com:x> y`) as if
// untagged, a tagged scalar as a string; js-yaml would refuse it.
const unknownTags = ['!', 'tag:'].flatMap((prefix) =>
  (['scalar', 'sequence', 'mapping'] as const).map(
    (kind) => new yaml.Type(prefix, { kind, multi: true, construct: (data: unknown) => data ?? (kind === 'scalar' ? '' : kind === 'sequence' ? [] : {}) }),
  ),
);

// !!binary is its decoded bytes as a string, as JSON gets it from Go (not a byte array).
const binary = new yaml.Type('tag:yaml.org,2002:binary', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && /^[A-Za-z0-9+/=\s]*$/.test(data),
  construct: (data: string) => Buffer.from(data.replace(/\s/g, ''), 'base64').toString('utf8'),
});

/**
 * js-yaml's default schema (with merge keys), read with YAML 1.1 booleans and integers, no
 * timestamps, unknown tags ignored and !!binary as a string.
 */
export const kubernetesSchema = yaml.DEFAULT_SCHEMA.extend({ implicit: [bool11, int11, noTimestamp], explicit: [binary, ...unknownTags] });

/** One document of a YAML stream. */
export interface YamlDocument {
  /** 0-based position of the document in its stream, counting empty documents. */
  readonly index: number;
  /** 1-based line where the document's content starts. */
  readonly line: number;
  /** The parsed value (null for an empty document). */
  readonly value: unknown;
  /** The comment lines directly above the document (between the previous document and this one). */
  readonly comments: readonly string[];
  /** 1-based line of any mapping or sequence inside the document (the line of the key that holds it). */
  lineOf(node: object): number | undefined;
  /** 1-based line of the key `key` of a mapping, or of item `key` of a sequence, inside the document. */
  lineOfField(node: object, key: string | number): number | undefined;
}

export interface YamlSyntaxError {
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** A key given twice in one mapping: kubectl keeps the later value, and so does wasmgate. */
export interface DuplicateKey {
  readonly document: number;
  readonly key: string;
  /** 1-based lines of the first and the later key. */
  readonly line: number;
  readonly firstLine: number;
}

export interface YamlStream {
  /** The documents read before any syntax error. */
  readonly documents: readonly YamlDocument[];
  readonly error?: YamlSyntaxError;
  readonly duplicates: readonly DuplicateKey[];
}

const separatorLine = /^(?:---|\.\.\.)(?:\s.*)?$/;

/** The comment lines above `line` (1-based), stopping at anything that is content of an earlier document. */
function leadingComments(lines: readonly string[], line: number, floor: number): string[] {
  const found: string[] = [];
  for (let i = line - 2; i >= floor; i--) {
    const text = lines[i] ?? '';
    if (text.startsWith('#')) found.unshift(text);
    else if (text.trim() === '' || separatorLine.test(text) || text.startsWith('%')) continue;
    else break;
  }
  return found;
}

/** Input kubectl refuses although js-yaml reads it; thrown from the parse listener, at a position. */
class RefusedInput extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message);
  }
}

/** A node being read: where it opened, and the lines of its keys (mappings) or items (sequences). */
interface Frame {
  readonly line: number;
  readonly position: number;
  /** Made when the first child closes: most nodes are scalars. */
  keys?: Map<string, number>;
  items?: number[];
  flowMapping?: boolean;
}

/** Positions in a text: line numbers, and the characters around a node. */
class Source {
  private readonly lineStarts: number[] = [0];
  /** Whether an explicit key (`? `) can occur at all: most texts have no `?`, and need no look for one. */
  readonly questionMarks: boolean;

  constructor(readonly text: string) {
    this.questionMarks = text.includes('?');
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of a position. */
  at(position: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= position) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: position - this.lineStarts[low]! + 1 };
  }

  /** Where a node's content starts: past white space, comments, and its anchor and tag. */
  contentStart(position: number): number {
    const text = this.text;
    let i = position;
    for (;;) {
      while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
      if (text[i] === '#' && (i === 0 || ' \t\r\n'.includes(text[i - 1]!))) {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (text[i] === '&' || text[i] === '!') {
        while (i < text.length && !' \t\r\n'.includes(text[i]!)) i++;
      } else {
        return i;
      }
    }
  }

  /** The character before `position`, past white space (newlines too when `lines`). */
  before(position: number, lines: boolean): string | undefined {
    let i = position - 1;
    while (i >= 0 && (this.text[i] === ' ' || this.text[i] === '\t' || (lines && (this.text[i] === '\n' || this.text[i] === '\r')))) i--;
    return i >= 0 ? this.text[i] : undefined;
  }

  /** The character at `position`, past spaces and tabs. */
  after(position: number): string | undefined {
    let i = position;
    while (i < this.text.length && (this.text[i] === ' ' || this.text[i] === '\t')) i++;
    return this.text[i];
  }
}

/**
 * Whether a node that just closed was a mapping key: followed by `:` (an implicit key), after `?`
 * (an explicit one), or an entry of a flow mapping (`{a, b: 1}`: both are keys).
 */
function isKey(source: Source, frame: Frame, parent: Frame, end: number): boolean {
  if (source.after(end) === ':') return true;
  parent.flowMapping ??= source.text[source.contentStart(parent.position)] === '{';
  if (!parent.flowMapping && !source.questionMarks) return false;
  const start = source.contentStart(frame.position);
  if (source.questionMarks && source.before(start, false) === '?') return true;
  const previous = source.before(start, true);
  return parent.flowMapping && (previous === '{' || previous === ',');
}

function describeKey(value: unknown): string {
  return Array.isArray(value) ? 'a list' : value === null ? 'null' : 'a mapping';
}

/**
 * A stream of two or more JSON objects or arrays one after the other (`jq '.items[]'` output), which
 * kubectl reads as one document each; as one YAML flow sequence of them, written so that every
 * line stays where it was. Undefined for anything else.
 */
function jsonStream(text: string): string | undefined {
  const ends: number[] = [];
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      if (depth === 0) return undefined;
      inString = true;
    } else if (ch === '{' || ch === '[') {
      if (depth === 0) starts.push(i);
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) ends.push(i + 1);
    } else if (depth === 0 && !' \t\r\n'.includes(ch)) {
      return undefined;
    }
  }
  if (depth !== 0 || inString || ends.length < 2) return undefined;
  let wrapped = '';
  let from = 0;
  starts.forEach((start, i) => {
    wrapped += `${text.slice(from, start)}${i === 0 ? '[' : ''}${text.slice(start, ends[i])}${i === ends.length - 1 ? ']' : ','}`;
    from = ends[i]!;
  });
  return wrapped + text.slice(from);
}

/**
 * Parses a multi-document YAML (or JSON) text with js-yaml, keeping each document's index, start
 * line, leading comments and the line of every key and item inside it (js-yaml's parse listener
 * reports where each node opens and closes; a document is a node at depth one). What kubectl's
 * decoder (sigs.k8s.io/yaml over goyaml.v2) refuses is a syntax error here too: a mapping, list
 * or null as a mapping key (what an unrendered template such as `{{ .x }}` makes), and `.inf` and
 * `.nan` (JSON has neither). A key given twice keeps its
 * later value, as kubectl does, and is listed in `duplicates`.
 */
export function parseYamlStream(given: string, filename: string): YamlStream {
  const stream = jsonStream(given);
  const text = stream ?? given;
  const lines = text.split(/\r?\n/);
  const source = new Source(text);
  const documents: YamlDocument[] = [];
  const duplicates: DuplicateKey[] = [];
  // Each collection's line, and its keys' lines by key (a mapping) or its items' by index (a sequence).
  const nodes = new WeakMap<object, { readonly line: number; readonly fields: ReadonlyMap<string, number> | readonly number[] | undefined }>();
  const lineOf = (node: object) => nodes.get(node)?.line;
  const lineOfField = (node: object, key: string | number) => {
    const fields = nodes.get(node)?.fields;
    return Array.isArray(fields) ? fields[Number(key)] : (fields as ReadonlyMap<string, number> | undefined)?.get(String(key));
  };
  const frames: Frame[] = [];
  let documentLine = 0;
  let previousLine = 0;
  // A BOM is stripped before parsing and does not move lines; nothing else shifts them.
  const listener = (event: 'open' | 'close', state: { line: number; position: number; result: unknown }) => {
    if (event === 'open') {
      frames.push({ line: state.line + 1, position: state.position });
      if (frames.length === 1) documentLine = state.line + 1;
      return;
    }
    const frame = frames.pop()!;
    const parent = frames[frames.length - 1];
    const result = state.result;
    if (typeof result === 'number' && !Number.isFinite(result)) {
      throw new RefusedInput(source.contentStart(frame.position), `${Number.isNaN(result) ? '.nan' : '.inf'} is not a number JSON can hold: kubectl refuses it`);
    }
    if (parent && isKey(source, frame, parent, state.position)) {
      if (result === null || typeof result === 'object') {
        throw new RefusedInput(
          source.contentStart(frame.position),
          `${describeKey(result)} is used as a mapping key, which kubectl refuses (is it an unrendered template such as "{{ .Values.x }}"?)`,
        );
      }
      const key = String(result);
      // A key opens where it starts, unless white space (a flow mapping's newline) comes first.
      const line = ' \t\r\n'.includes(source.text[frame.position] ?? '') ? source.at(source.contentStart(frame.position)).line : frame.line;
      const keys = (parent.keys ??= new Map());
      const first = keys.get(key);
      if (first !== undefined && key !== '<<') duplicates.push({ document: documents.length, key, line, firstLine: first });
      keys.set(key, line);
    } else if (parent) {
      (parent.items ??= []).push(frame.line);
    }
    if (result !== null && typeof result === 'object') {
      // An alias closes on the node it names: the first close, its definition, is where it is.
      if (!nodes.has(result)) {
        const fields = Array.isArray(result) ? (frame.items?.length === result.length ? frame.items : undefined) : frame.keys;
        nodes.set(result, { line: frame.line, fields });
      }
    }
    if (frames.length === 0) {
      documents.push({
        index: documents.length,
        line: documentLine,
        value: result ?? null,
        comments: leadingComments(lines, documentLine, Math.max(0, previousLine)),
        lineOf,
        lineOfField,
      });
      previousLine = documentLine;
    }
  };
  // Where an error lands: "unexpected end of the stream" is reported past the last line, so that
  // points at the last line instead.
  let lastLine = lines.length;
  while (lastLine > 1 && (lines[lastLine - 1] ?? '').trim() === '') lastLine--;
  const failed = (line: number, column: number, message: string, broken: number): YamlStream => ({
    documents: documents.slice(0, Math.max(0, broken)),
    error: { line: Math.min(line, lastLine), column: line > lastLine ? (lines[lastLine - 1] ?? '').length + 1 : column, message },
    duplicates: duplicates.filter((d) => d.document < broken),
  });
  try {
    // json: a key given twice keeps the later value (as goyaml.v2 does) instead of failing.
    yaml.loadAll(text, null, { filename, schema: kubernetesSchema, listener, json: true });
    if (stream === undefined) return { documents, duplicates };
    const items = documents[0]!.value as unknown[];
    const split = items.map((value, index) => ({ index, line: lineOfField(items, index) ?? 1, value, comments: [], lineOf, lineOfField }));
    // A duplicate belongs to the last document starting on or before its line.
    const documentAt = (line: number) => split.reduce((found, d) => (d.line <= line ? d.index : found), 0);
    return { documents: split, duplicates: duplicates.map((d) => ({ ...d, document: documentAt(d.line) })) };
  } catch (err) {
    // The document being read when the error struck is incomplete (or its tail is broken): drop it.
    const broken = frames.length > 0 || err instanceof RefusedInput ? documents.length : documents.length - 1;
    if (err instanceof RefusedInput) {
      const { line, column } = source.at(err.position);
      return failed(line, column, err.message, broken);
    }
    if (!(err instanceof yaml.YAMLException)) throw err;
    return failed((err.mark?.line ?? 0) + 1, (err.mark?.column ?? 0) + 1, err.reason || err.message, broken);
  }
}
