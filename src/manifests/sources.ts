import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import yaml from 'js-yaml';

/**
 * Which files under a directory are manifests. Kustomize and Helm source trees hold files that are
 * not Kubernetes objects (kustomization.yaml, the patches it names, Chart.yaml, values.yaml,
 * unrendered templates): those are skipped with a note saying what they are and how to decide
 * what they produce. `--ignore` globs skip more.
 */

/** A file (or directory) left out, and why. */
export interface Skipped {
  readonly file: string;
  readonly message: string;
}

const kustomizationNames = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);
const helmFiles: Readonly<Record<string, string>> = {
  'Chart.yaml': "a Helm chart's metadata",
  'Chart.lock': "a Helm chart's lock file",
  'values.yaml': "a Helm chart's values",
  'values.yml': "a Helm chart's values",
  'values.schema.json': "a Helm chart's values schema",
};

function glob(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of directories, a trailing `**` anything below.
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * `--ignore` globs (`*`, `?`, `[…]`, `**`). A pattern without `/` matches any one name on the path
 * (`values-*.yaml`, `templates`); one with `/` matches the path as found (`deploy/overlays/**`) or
 * relative to the directory searched (`overlays/*\/patch.yaml`).
 */
export function ignoreMatcher(patterns: readonly string[]): (path: string, root?: string) => boolean {
  const compiled = patterns.map((p) => ({ anywhere: !p.replace(/\/$/, '').includes('/'), re: glob(p.replace(/\/$/, '').replace(/^\.\//, '')) }));
  return (path, root) => {
    const asFound = path.split(sep).join('/').replace(/^\.\//, '');
    const below = root !== undefined ? relative(root, path).split(sep).join('/') : undefined;
    return compiled.some(({ anywhere, re }) =>
      anywhere ? asFound.split('/').some((name) => re.test(name)) : re.test(asFound) || (below !== undefined && re.test(below)),
    );
  };
}

/** Why a file is skipped by its name alone, if it is. */
export function skippedByName(file: string): string | undefined {
  const name = basename(file);
  const dir = dirname(file);
  if (kustomizationNames.has(name)) {
    return `a kustomization, not a manifest: skipped (decide what it builds: kustomize build ${dir} | wasmgate eval -)`;
  }
  if (Object.hasOwn(helmFiles, name)) {
    return `${helmFiles[name]}, not a manifest: skipped (decide the rendered chart: helm template ${dir} | wasmgate eval -)`;
  }
  return undefined;
}

/** Why a document is skipped: kustomize's own configuration kinds (Kustomization, Component, builtin transformers). */
export function skippedDocument(object: Readonly<Record<string, unknown>>): string | undefined {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string') return undefined;
  if (apiVersion.startsWith('kustomize.config.k8s.io/') || apiVersion === 'builtin') {
    return `${typeof kind === 'string' ? kind : 'a document'} (${apiVersion}) is kustomize configuration, not a manifest: skipped`;
  }
  return undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)) : [];
}

/** What a file a kustomization names is, when it is not a resource. */
export type KustomizePart = 'patch' | 'replacement' | 'configuration' | "generator's input";

/**
 * The files a kustomization names that are not whole objects (patches, replacements, transformer
 * configurations, the files ConfigMap and Secret generators read), as absolute paths with what each
 * is. An unreadable kustomization names nothing: it is skipped anyway.
 */
export async function kustomizationParts(kustomization: string): Promise<[path: string, part: KustomizePart][]> {
  let config: unknown;
  try {
    config = yaml.load(await readFile(kustomization, 'utf8'));
  } catch {
    return [];
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  const k = config as Record<string, unknown>;
  const generators = [...records(k.configMapGenerator), ...records(k.secretGenerator)];
  const parts: [unknown, KustomizePart][] = [
    // A strategic-merge patch may be given inline (it then holds a newline or starts a mapping).
    ...strings(k.patchesStrategicMerge).filter((p) => !p.includes('\n') && !p.trimStart().startsWith('{')).map((p): [unknown, KustomizePart] => [p, 'patch']),
    ...[...records(k.patches), ...records(k.patchesJson6902)].map((p): [unknown, KustomizePart] => [p.path, 'patch']),
    ...records(k.replacements).map((p): [unknown, KustomizePart] => [p.path, 'replacement']),
    ...strings(k.configurations).map((p): [unknown, KustomizePart] => [p, 'configuration']),
    // A generator's file is `path` or `key=path`.
    ...generators.flatMap((g) => [...strings(g.files), ...strings(g.envs), ...(typeof g.env === 'string' ? [g.env] : [])]).map((p): [unknown, KustomizePart] => [p.replace(/^[^=]*=/, ''), "generator's input"]),
  ];
  const dir = dirname(resolve(kustomization));
  return parts.filter((p): p is [string, KustomizePart] => typeof p[0] === 'string' && p[0] !== '').map(([p, part]) => [join(dir, p), part]);
}
