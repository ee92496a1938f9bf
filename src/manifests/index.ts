import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ignoreMatcher, kustomizationParts, skippedByName, skippedDocument, type Skipped } from './sources.js';
import { parseYamlStream, type YamlDocument } from './yaml.js';

export { parseYamlStream, kubernetesSchema, type YamlDocument, type YamlStream, type YamlSyntaxError } from './yaml.js';
export { kindInfo, kindKey, crdDefinition, guessResource, splitApiVersion, type CustomKinds, type KindInfo } from './kinds.js';

/** What the user calls standard input in paths, and how results name it. */
export const stdinPath = '-';
export const stdinName = '<stdin>';

/** Where a manifest came from. */
export interface SourceRef {
  /** The file as the user named it (or found it under a directory they named); `<stdin>` for `-`. */
  readonly file: string;
  /** 1-based line where the document (or the List item) starts. */
  readonly line: number;
  /** 0-based index of the document in its file. */
  readonly document: number;
  /** 0-based index in the items of a List document. */
  readonly item?: number;
}

/** One object to decide: a Kubernetes object, or an AdmissionReview taken as it is. */
export interface Manifest {
  readonly source: SourceRef;
  readonly object: Readonly<Record<string, unknown>>;
  /** The comment lines directly above the document. */
  readonly comments: readonly string[];
  /** The line of a field path such as `spec.containers[1].image`, or of the missing key's parent when it is absent. */
  lineOf(path: string): number | undefined;
}

/** Input that could not be read or made sense of; the run goes on without it. */
export interface InputProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly document?: number;
  readonly item?: number;
  readonly message: string;
}

/** Something worth knowing about the input that is not an error: what was skipped or assumed. */
export type InputNote = InputProblem;

export interface ManifestSet {
  /** Every input file, in the order read (also those that held nothing to decide). */
  readonly files: readonly string[];
  readonly manifests: readonly Manifest[];
  readonly problems: readonly InputProblem[];
  readonly notes?: readonly InputNote[];
}

const manifestExtensions = /\.(?:ya?ml|json)$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `spec.containers[1].image` or `metadata.labels["app.kubernetes.io/name"]` as segments. */
export function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const match of path.matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(match[3].replace(/\\(.)/g, '$1'));
  }
  return segments;
}

/**
 * The line of a field path in the document: that of the field itself, or, when the path leads
 * past what the document holds, of the deepest key on it that is there (the missing key's parent).
 * Paths are those of the object a review is about: inside an AdmissionReview document they start
 * at its request.object (or request.oldObject).
 */
function locator(document: YamlDocument, root: object): (path: string) => number | undefined {
  return (path) => {
    let node: unknown = root;
    let line = document.lineOf(root);
    for (const segment of pathSegments(path)) {
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) break;
      const child: unknown = (node as Record<string | number, unknown>)[segment];
      line = document.lineOfField(node, segment) ?? (child !== null && typeof child === 'object' ? document.lineOf(child) : undefined) ?? line;
      node = child;
    }
    return line;
  };
}

/** What a manifest's violation paths are relative to: the object, or the one an AdmissionReview carries. */
function pathRoot(object: Record<string, unknown>): object {
  if (object.kind !== 'AdmissionReview' || !isRecord(object.request)) return object;
  const { object: reviewed, oldObject } = object.request;
  return isRecord(reviewed) ? reviewed : isRecord(oldObject) ? oldObject : object;
}

/** Most values one object may expand to: far beyond any object the API server accepts (3 MiB). */
export const maxExpandedValues = 1_000_000;

/**
 * How many values an object holds once YAML aliases are expanded, as JSON would write it, counted
 * without expanding (shared nodes once each). Infinity for an object that contains itself, or once
 * `limit` is passed: the "billion laughs" that would exhaust memory when the request is serialized.
 */
export function expandedSize(value: unknown, limit = maxExpandedValues): number {
  const sizes = new WeakMap<object, number>();
  const open = new WeakSet<object>();
  const size = (node: unknown): number => {
    if (node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) return Infinity;
    open.add(node);
    let total = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      total += size(child);
      if (total > limit) break;
    }
    open.delete(node);
    const result = total > limit ? Infinity : total;
    sizes.set(node, result);
    return result;
  };
  return size(value);
}

/** A List (`kubectl get -o yaml`), or a typed list such as PodList: its items are the objects. */
function isList(value: Record<string, unknown>): value is Record<string, unknown> & { items: unknown[] } {
  return typeof value.kind === 'string' && /(?:^|[a-z])List$/.test(value.kind) && Array.isArray(value.items);
}

/** The manifests of one file's text; syntax errors and non-objects become problems. */
export function manifestsOf(file: string, text: string): { manifests: Manifest[]; problems: InputProblem[]; notes: InputNote[] } {
  const stream = parseYamlStream(text, file);
  const manifests: Manifest[] = [];
  const problems: InputProblem[] = [];
  const notes: InputNote[] = stream.duplicates.map((d) => ({
    file,
    line: d.line,
    document: d.document,
    message: `the key ${JSON.stringify(d.key)} is given twice in one mapping (lines ${d.firstLine} and ${d.line}): the later value is used, as kubectl does`,
  }));
  for (const document of stream.documents) {
    const value = document.value;
    if (value === null || value === undefined) continue; // an empty document, e.g. after a trailing ---
    const at = { file, line: document.line, document: document.index };
    if (!isRecord(value)) {
      problems.push({ ...at, message: `document ${document.index} is not a Kubernetes object (a YAML mapping), it is ${Array.isArray(value) ? 'a list' : `the scalar ${JSON.stringify(value)}`}` });
      continue;
    }
    const objects: [Record<string, unknown> | unknown, number | undefined][] = isList(value)
      ? value.items.map((item, i) => [item, i])
      : [[value, undefined]];
    for (const [object, item] of objects) {
      const line = (item !== undefined && isRecord(object) ? document.lineOf(object) : undefined) ?? document.line;
      const source: SourceRef = { ...at, line, ...(item !== undefined ? { item } : {}) };
      if (!isRecord(object)) {
        problems.push({ ...source, message: `item ${String(item)} of the List is not a Kubernetes object` });
        continue;
      }
      const skipped = skippedDocument(object);
      if (skipped !== undefined) {
        notes.push({ ...source, message: skipped });
        continue;
      }
      if (expandedSize(object) === Infinity) {
        problems.push({ ...source, message: `the object refers to itself or expands to more than ${maxExpandedValues} values through YAML aliases` });
        continue;
      }
      manifests.push({ source, object, comments: document.comments, lineOf: locator(document, pathRoot(object)) });
    }
  }
  if (stream.error) {
    problems.push({ file, line: stream.error.line, column: stream.error.column, message: `YAML syntax error: ${stream.error.message}` });
  }
  return { manifests, problems, notes };
}

interface Walked {
  readonly files: string[];
  readonly skipped: Skipped[];
  /** Kustomization files found, whatever their extension. */
  readonly kustomizations: string[];
}

/** The manifest files below `dir` in name order; hidden and ignored entries left out, kustomize and Helm sources skipped. */
async function walk(dir: string, root: string, ignored: (path: string, root?: string) => boolean, into: Walked): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const chart = entries.some((e) => e.name === 'Chart.yaml');
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (ignored(path, root)) continue;
    if (entry.isDirectory()) {
      if (chart && entry.name === 'templates') {
        into.skipped.push({ file: path, message: `the templates of the Helm chart ${dir} are not manifests until rendered: skipped (helm template ${dir} | wasmgate eval -)` });
      } else {
        await walk(path, root, ignored, into);
      }
      continue;
    }
    if (/^(?:kustomization\.ya?ml|Kustomization)$/.test(entry.name)) into.kustomizations.push(path);
    if (!manifestExtensions.test(entry.name) || !(entry.isFile() || (await stat(path).catch(() => undefined))?.isFile())) continue;
    const why = skippedByName(path);
    if (why !== undefined) into.skipped.push({ file: path, message: why });
    else into.files.push(path);
  }
}

/** Leaves out the patches and configurations the kustomizations found name: they are not whole objects. */
async function withoutKustomizeParts(walked: Walked): Promise<void> {
  const namedBy = new Map<string, string>();
  for (const kustomization of walked.kustomizations) {
    for (const [path, part] of await kustomizationParts(kustomization)) if (!namedBy.has(path)) namedBy.set(path, `a kustomize ${part} named by ${kustomization}`);
  }
  if (namedBy.size === 0) return;
  const kept = walked.files.filter((file) => {
    const what = namedBy.get(resolve(file));
    if (what !== undefined) walked.skipped.push({ file, message: `${what}, not an object: skipped` });
    return what === undefined;
  });
  walked.files.splice(0, walked.files.length, ...kept);
}

export interface ReadOptions {
  /** Reads standard input (for `-`); injected so tests need no real stdin. */
  readonly readStdin?: () => Promise<string>;
  /** Globs of paths to leave out (`--ignore`; see ignoreMatcher). */
  readonly ignore?: readonly string[];
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads files, directories (recursively: .yaml, .yml, .json; hidden entries skipped) and `-` for
 * standard input into manifests. Nothing here throws for bad input: every path that cannot be read
 * and every document that is not an object becomes a problem, and the others are still read.
 */
export async function readManifests(paths: readonly string[], options: ReadOptions = {}): Promise<ManifestSet> {
  const files: string[] = [];
  const manifests: Manifest[] = [];
  const problems: InputProblem[] = [];
  const notes: InputNote[] = [];
  const readOne = async (file: string, load: () => Promise<string>) => {
    files.push(file);
    let text: string;
    try {
      text = await load();
    } catch (err) {
      problems.push({ file, message: `cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}` });
      return;
    }
    const read = manifestsOf(file, text);
    manifests.push(...read.manifests);
    problems.push(...read.problems);
    notes.push(...read.notes);
  };
  const ignored = ignoreMatcher(options.ignore ?? []);
  let stdinRead = false;
  for (const path of paths) {
    if (path === stdinPath) {
      if (stdinRead) continue;
      stdinRead = true;
      await readOne(stdinName, options.readStdin ?? readStdin);
      continue;
    }
    if (ignored(path)) continue;
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => err);
    if (info instanceof Error) {
      problems.push({ file: path, message: info.code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${info.message}` });
      continue;
    }
    if (info.isDirectory()) {
      const walked: Walked = { files: [], skipped: [], kustomizations: [] };
      try {
        await walk(path, path, ignored, walked);
        await withoutKustomizeParts(walked);
      } catch (err) {
        problems.push({ file: path, message: `cannot read the directory: ${(err as Error).message}` });
        continue;
      }
      notes.push(...walked.skipped);
      if (walked.files.length === 0 && walked.skipped.length === 0) problems.push({ file: path, message: 'the directory holds no .yaml, .yml or .json files' });
      for (const file of walked.files) await readOne(file, () => readFile(file, 'utf8'));
    } else {
      const why = skippedByName(path);
      if (why !== undefined) notes.push({ file: path, message: why });
      else await readOne(path, () => readFile(path, 'utf8'));
    }
  }
  return { files, manifests, problems, notes };
}
