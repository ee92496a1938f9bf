import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import yaml from 'js-yaml';
import { WasmgateError, describeThrown } from '../errors.js';
import { isRecord } from './json.js';

// gator's Suite files (test.gatekeeper.sh/v1alpha1, pkg/gator/verify/suite.go): reading and finding them.

export const suiteGroup = 'test.gatekeeper.sh';

export interface Assertion {
  readonly violations: number | 'yes' | 'no';
  readonly message?: string;
}

export interface Case {
  readonly name: string;
  readonly object?: string;
  readonly inventory: readonly string[];
  readonly assertions: readonly Assertion[];
  readonly skip: boolean;
}

export interface Test {
  readonly name: string;
  readonly template?: string;
  readonly constraint?: string;
  readonly expansion?: string;
  readonly invalid: boolean;
  readonly cases: readonly Case[];
  readonly skip: boolean;
}

export interface Suite {
  /** As the user reaches it: the path they named, or found under it. */
  readonly path: string;
  readonly file: string;
  readonly tests: readonly Test[];
  readonly skip: boolean;
}

function invalidSuite(file: string, what: string): WasmgateError {
  return new WasmgateError('INPUT_INVALID', `${file}: invalid Suite: ${what}`);
}

function optionalString(value: unknown, file: string, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidSuite(file, `${where} must be a string`);
  return value;
}

function parseAssertion(raw: unknown, file: string, where: string): Assertion {
  if (!isRecord(raw)) throw invalidSuite(file, `${where} must be an object`);
  const v = raw.violations ?? 'yes';
  if (!(v === 'yes' || v === 'no' || (typeof v === 'number' && Number.isInteger(v) && v >= 0))) {
    throw invalidSuite(file, `${where}.violations, if set, must be a nonnegative integer, "yes", or "no" (got ${JSON.stringify(v)})`);
  }
  const message = optionalString(raw.message, file, `${where}.message`);
  return { violations: v, ...(message !== undefined ? { message } : {}) };
}

function parseCase(raw: unknown, file: string, where: string): Case {
  if (!isRecord(raw)) throw invalidSuite(file, `${where} must be an object`);
  const inventory = raw.inventory ?? [];
  if (!Array.isArray(inventory) || !inventory.every((p) => typeof p === 'string')) throw invalidSuite(file, `${where}.inventory must be a list of paths`);
  const assertions = raw.assertions ?? [];
  if (!Array.isArray(assertions)) throw invalidSuite(file, `${where}.assertions must be a list`);
  const object = optionalString(raw.object, file, `${where}.object`);
  return {
    name: optionalString(raw.name, file, `${where}.name`) ?? '',
    ...(object !== undefined ? { object } : {}),
    inventory,
    assertions: assertions.map((a, i) => parseAssertion(a, file, `${where}.assertions[${i}]`)),
    skip: raw.skip === true,
  };
}

function parseTest(raw: unknown, file: string, where: string): Test {
  if (!isRecord(raw)) throw invalidSuite(file, `${where} must be an object`);
  const cases = raw.cases ?? [];
  if (!Array.isArray(cases)) throw invalidSuite(file, `${where}.cases must be a list`);
  const template = optionalString(raw.template, file, `${where}.template`);
  const constraint = optionalString(raw.constraint, file, `${where}.constraint`);
  const expansion = optionalString(raw.expansion, file, `${where}.expansion`);
  return {
    name: optionalString(raw.name, file, `${where}.name`) ?? '',
    ...(template !== undefined ? { template } : {}),
    ...(constraint !== undefined ? { constraint } : {}),
    ...(expansion !== undefined ? { expansion } : {}),
    invalid: raw.invalid === true,
    cases: cases.map((c, i) => parseCase(c, file, `${where}.cases[${i}]`)),
    skip: raw.skip === true,
  };
}

/** A file's Suite, or undefined when the file is not one (gator ignores other YAML). */
export async function readSuite(file: string, shownAs: string): Promise<Suite | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new WasmgateError('INPUT_INVALID', `${shownAs}: cannot read: ${describeThrown(err)}`);
  }
  let value: unknown;
  try {
    // gator reads suites with yaml.v3 (YAML 1.2): `violations: yes` is the string "yes".
    value = yaml.load(text);
  } catch (err) {
    if (isSuiteLike(text)) throw new WasmgateError('INPUT_INVALID', `${shownAs}: invalid yaml: ${describeThrown(err)}`);
    return undefined;
  }
  if (!isRecord(value) || value.kind !== 'Suite' || typeof value.apiVersion !== 'string' || !value.apiVersion.startsWith(`${suiteGroup}/`)) return undefined;
  const tests = value.tests ?? [];
  if (!Array.isArray(tests)) throw invalidSuite(shownAs, 'tests must be a list');
  return { path: shownAs, file, tests: tests.map((t, i) => parseTest(t, shownAs, `tests[${i}]`)), skip: value.skip === true };
}

/** A file that fails to parse is an error only if it looks like a Suite; other broken YAML is not gator's business. */
function isSuiteLike(text: string): boolean {
  return /^kind:\s*Suite\s*$/m.test(text) && text.includes(suiteGroup);
}

const yamlExtension = new Set(['.yaml', '.yml']);

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (yamlExtension.has(extname(entry.name))) files.push(path);
  }
  return files;
}

/** The Suites under the paths: a file is read as a Suite, a directory searched recursively, like `gator verify ./...`. */
export async function findSuites(paths: readonly string[]): Promise<Suite[]> {
  const suites: Suite[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new WasmgateError('INPUT_INVALID', `${path}: no such file or directory`);
    if (info.isDirectory()) {
      for (const file of await walk(path)) {
        const suite = await readSuite(file, file);
        if (suite) suites.push(suite);
      }
    } else {
      if (!yamlExtension.has(extname(path))) throw new WasmgateError('INPUT_INVALID', `${path}: unsupported extension ${JSON.stringify(extname(path))} (a Suite is .yaml or .yml)`);
      const suite = await readSuite(path, path);
      if (!suite) throw new WasmgateError('INPUT_INVALID', `${path}: not a Suite (kind: Suite, apiVersion: ${suiteGroup}/v1alpha1)`);
      suites.push(suite);
    }
  }
  return suites.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
