import { dirname, relative, resolve } from 'node:path';
import { RE2JS } from 're2js';
import { WasmgateError, describeThrown } from '../errors.js';
import type { OpaTool } from '../toolchain/opa.js';
import { compileTemplate, type CompiledTemplate } from './compile.js';
import { GatekeeperEvaluator, type GatekeeperResult } from './evaluator.js';
import { inventoryOf } from './inventory.js';
import { isRecord } from './json.js';
import { groupVersionKind, type KubeObject } from './match.js';
import { parseConstraint, parseTemplate } from './objects.js';
import { ParametersError, validateParameters } from './parameters.js';
import { readObjects } from './read.js';
import { reviewOfObject, reviewOfRequest, type GatekeeperReview } from './review.js';
import type { Assertion, Case, Suite, Test } from './suite.js';

export { findSuites, readSuite, suiteGroup, type Suite } from './suite.js';

// gator's verify (pkg/gator/verify/runner.go, assertion.go), run on wasmgate's engine.

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
