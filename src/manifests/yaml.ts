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

/** js-yaml's default schema (with merge keys), read with YAML 1.1 booleans and integers and no timestamps. */
export const kubernetesSchema = yaml.DEFAULT_SCHEMA.extend({ implicit: [bool11, int11, noTimestamp] });

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
}

export interface YamlSyntaxError {
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface YamlStream {
  /** The documents read before any syntax error. */
  readonly documents: readonly YamlDocument[];
  readonly error?: YamlSyntaxError;
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

/**
 * Parses a multi-document YAML (or JSON) text with js-yaml, keeping each document's index, start
 * line, leading comments and the line of every collection inside it. js-yaml's parse listener
 * reports where each node opens; a document is a node at depth one.
 */
export function parseYamlStream(text: string, filename: string): YamlStream {
  const lines = text.split(/\r?\n/);
  const documents: YamlDocument[] = [];
  const lineMap = new WeakMap<object, number>();
  const lineOf = (node: object) => lineMap.get(node);
  const open: number[] = [];
  let documentLine = 0;
  let previousLine = 0;
  // A BOM is stripped before parsing and does not move lines; nothing else shifts them.
  const listener = (event: 'open' | 'close', state: { line: number; result: unknown }) => {
    if (event === 'open') {
      open.push(state.line + 1);
      if (open.length === 1) documentLine = state.line + 1;
      return;
    }
    const line = open.pop() ?? 0;
    const result = state.result;
    if (result !== null && typeof result === 'object') lineMap.set(result, line);
    if (open.length === 0) {
      documents.push({
        index: documents.length,
        line: documentLine,
        value: result ?? null,
        comments: leadingComments(lines, documentLine, Math.max(0, previousLine)),
        lineOf,
      });
      previousLine = documentLine;
    }
  };
  try {
    yaml.loadAll(text, null, { filename, schema: kubernetesSchema, listener });
    return { documents };
  } catch (err) {
    if (!(err instanceof yaml.YAMLException)) throw err;
    // The document being read when the error struck is incomplete (or its tail is broken): drop it.
    const broken = open.length > 0 ? documents.length : documents.length - 1;
    // "Unexpected end of the stream" is reported past the last line: point at the last line instead.
    let lastLine = lines.length;
    while (lastLine > 1 && (lines[lastLine - 1] ?? '').trim() === '') lastLine--;
    const line = (err.mark?.line ?? 0) + 1;
    return {
      documents: documents.slice(0, Math.max(0, broken)),
      error: {
        line: Math.min(line, lastLine),
        column: line > lastLine ? (lines[lastLine - 1] ?? '').length + 1 : (err.mark?.column ?? 0) + 1,
        message: err.reason || err.message,
      },
    };
  }
}
