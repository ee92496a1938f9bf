import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import yaml from 'js-yaml';
import { RE2JS } from 're2js';
import { WasmgateError, describeThrown } from '../errors.js';
import type { OpaTool } from '../toolchain/opa.js';
import { compileTemplate, type CompiledTemplate } from './compile.js';
import { GatekeeperEvaluator, type GatekeeperResult } from './evaluator.js';
import { inventoryOf } from './inventory.js';
import { isRecord } from './json.js';
import { parseConstraint, parseTemplate } from './objects.js';
import { ParametersError, validateParameters } from './parameters.js';
import { readObjects } from './read.js';
import { reviewOfObject, reviewOfRequest, type GatekeeperReview } from './review.js';
import { groupVersionKind, type KubeObject } from './match.js';

// gator's Suite files (test.gatekeeper.sh/v1alpha1, pkg/gator/verify), run on wasmgate's engine.

export const suiteGroup = 'test.gatekeeper.sh';

interface Assertion {
  readonly violations: number | 'yes' | 'no';
  readonly message?: string;
}

interface Case {
  readonly name: string;
  readonly object?: string;
  readonly inventory: readonly string[];
  readonly assertions: readonly Assertion[];
  readonly skip: boolean;
}

interface Test {
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

export interface CaseResult {
  readonly name: string;
  readonly skipped?: boolean;
  readonly error?: string;
  /** The messages the review found (absent when the case could not be reviewed). */
  readonly violations?: readonly string[];
  readonly durationMs?: number;
}

export interface TestResult {
  readonly name: string;
  readonly skipped?: boolean;
  /** Why the test could not run its cases (template, constraint); its cases count as failed. */
  readonly error?: string;
  readonly cases: readonly CaseResult[];
  /** Cases not run because of `error`. */
  readonly notRun?: number;
  readonly durationMs?: number;
}

export interface SuiteResult {
  readonly path: string;
  readonly skipped?: boolean;
  readonly tests: readonly TestResult[];
}

export interface VerifyTotals {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
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

export interface VerifyOptions {
  readonly opa: OpaTool;
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * Runs Suites as gator does: per test its template and constraint; per case the object (or an
 * AdmissionReview's request) reviewed with its inventory, then every assertion.
 */
export class SuiteRunner {
  private readonly templates = new Map<string, Promise<CompiledTemplate>>();

  constructor(private readonly options: VerifyOptions) {}

  private template(file: string): Promise<CompiledTemplate> {
    let pending = this.templates.get(file);
    if (!pending) {
      pending = (async () => {
        const objects = await readObjects(file, shown(file));
        if (objects.length !== 1) throw new WasmgateError('INPUT_INVALID', `${shown(file)}: a template file must hold exactly one object, it holds ${objects.length}`);
        const template = parseTemplate(objects[0]!, shown(file));
        return compileTemplate(template, { opa: this.options.opa, ...(this.options.cacheDir ? { cacheDir: this.options.cacheDir } : {}), ...(this.options.log ? { log: this.options.log } : {}) });
      })();
      this.templates.set(file, pending);
    }
    return pending;
  }

  async run(suite: Suite): Promise<SuiteResult> {
    if (suite.skip) return { path: suite.path, skipped: true, tests: [] };
    const dir = dirname(suite.file);
    const tests: TestResult[] = [];
    for (const test of suite.tests) {
      if (test.skip) {
        tests.push({ name: test.name, skipped: true, cases: [] });
        continue;
      }
      const started = performance.now();
      const result = await this.runTest(dir, test);
      tests.push({ ...result, durationMs: performance.now() - started });
    }
    return { path: suite.path, tests };
  }

  private async runTest(dir: string, test: Test): Promise<TestResult> {
    let evaluator: GatekeeperEvaluator;
    try {
      if (!test.template) throw new WasmgateError('INPUT_INVALID', 'invalid Suite: missing template');
      if (!test.constraint) throw new WasmgateError('INPUT_INVALID', 'invalid Suite: missing constraint');
      if (test.expansion) throw new WasmgateError('INPUT_INVALID', 'expansion templates are not supported by wasmgate');
      const compiled = await this.template(resolve(dir, test.template));
      const constraintFile = resolve(dir, test.constraint);
      const objects = await readObjects(constraintFile, shown(constraintFile));
      if (objects.length !== 1) throw new WasmgateError('INPUT_INVALID', `${shown(constraintFile)}: a constraint file must hold exactly one object, it holds ${objects.length}`);
      const constraint = parseConstraint(objects[0]!, shown(constraintFile));
      if (constraint.kind !== compiled.template.kind) {
        throw new WasmgateError('INPUT_INVALID', `${shown(constraintFile)}: wrong kind ${JSON.stringify(constraint.kind)} for constraint ${JSON.stringify(constraint.name)}; want ${JSON.stringify(compiled.template.kind)}`);
      }
      try {
        validateParameters(compiled.template, constraint);
      } catch (err) {
        if (test.invalid && err instanceof ParametersError) return { name: test.name, cases: [] };
        throw err;
      }
      if (test.invalid) return { name: test.name, error: 'constraint should have failed schema validation', cases: [], notRun: 0 };
      evaluator = new GatekeeperEvaluator({ templates: [compiled], constraints: [constraint] });
    } catch (err) {
      return { name: test.name, error: describeThrown(err), cases: [], notRun: test.cases.length };
    }
    const cases: CaseResult[] = [];
    for (const c of test.cases) {
      if (c.skip) {
        cases.push({ name: c.name, skipped: true });
        continue;
      }
      const started = performance.now();
      const result = await this.runCase(dir, c, evaluator);
      cases.push({ ...result, durationMs: performance.now() - started });
    }
    return { name: test.name, cases };
  }

  private async runCase(dir: string, c: Case, evaluator: GatekeeperEvaluator): Promise<CaseResult> {
    try {
      if (!c.object) throw new WasmgateError('INPUT_INVALID', 'invalid Case: must define object');
      if (c.assertions.length === 0) throw new WasmgateError('INPUT_INVALID', 'invalid Case: assertions must be non-empty');
      const objectFile = resolve(dir, c.object);
      const objects = await readObjects(objectFile, shown(objectFile));
      if (objects.length !== 1) throw new WasmgateError('INPUT_INVALID', `object file must contain exactly one object: ${JSON.stringify(shown(objectFile))} defines ${objects.length} objects`);
      const inventoryObjects: KubeObject[] = [];
      for (const path of c.inventory) inventoryObjects.push(...(await readObjects(resolve(dir, path), shown(resolve(dir, path)))));
      const inventory = inventoryOf(inventoryObjects, (i) => `inventory object ${i} of case ${c.name}`);
      const results = evaluator.review(reviewOf(objects[0]!), { inventory });
      const violations = results.map((r) => r.msg);
      for (const assertion of c.assertions) {
        const failure = checkAssertion(assertion, results);
        if (failure) return { name: c.name, error: failure, violations };
      }
      return { name: c.name, violations };
    } catch (err) {
      return { name: c.name, error: describeThrown(err) };
    }
  }
}

/** A case's object as gator reviews it: an AdmissionReview (admission.k8s.io) by its request, any other object as it is. */
function reviewOf(object: KubeObject): GatekeeperReview {
  if (object.kind === 'AdmissionReview' && groupVersionKind(object).group === 'admission.k8s.io') {
    if (!isRecord(object.request)) throw new WasmgateError('INPUT_INVALID', 'missing an AdmissionRequest object: request did not actually pass in an AdmissionRequest');
    return reviewOfRequest(object.request);
  }
  return reviewOfObject(object);
}

/** gator's Assertion.Run: undefined when it holds, else the message gator prints. */
export function checkAssertion(assertion: Assertion, results: readonly GatekeeperResult[]): string | undefined {
  let pattern: RE2JS | undefined;
  if (assertion.message !== undefined) {
    try {
      pattern = RE2JS.compile(assertion.message);
    } catch (err) {
      return `message contains invalid regular expression: ${describeThrown(err)}`;
    }
  }
  const messages = results.map((r) => r.msg);
  const matching = pattern ? messages.filter((m) => pattern.matcher(m).find()).length : messages.length;
  const containing = assertion.message !== undefined ? ` containing ${JSON.stringify(assertion.message)}` : '';
  const got = `got ${matching} violations${containing}`;
  let failure: string | undefined;
  if (typeof assertion.violations === 'number') {
    if (matching !== assertion.violations) failure = `${got} but want exactly ${assertion.violations}`;
  } else if (assertion.violations === 'yes') {
    if (matching === 0) failure = `${got} but want at least 1`;
  } else if (matching > 0) {
    failure = `${got} but want none`;
  }
  return failure && `unexpected number of violations: ${failure}: got messages [${messages.join(' ')}]`;
}

/** Cases passed and failed; a test that could not run counts each of its cases (or itself, if it has none) as failed. */
export function totalsOf(results: readonly SuiteResult[]): VerifyTotals {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const suite of results) {
    for (const test of suite.tests) {
      if (test.skipped) continue;
      if (test.error !== undefined) {
        failed += Math.max(1, test.notRun ?? 0);
        continue;
      }
      if (test.cases.length === 0) passed++;
      for (const c of test.cases) {
        if (c.skipped) skipped++;
        else if (c.error !== undefined) failed++;
        else passed++;
      }
    }
  }
  return { passed, failed, skipped };
}
