import { isAbsolute, join, relative } from 'node:path';
import { reachesMutatingWebhook, type DefaultedReview } from '../admission/defaulting.js';
import { describeObject } from '../admission/synthesize.js';
import { inWorkload } from '../admission/template-pods.js';
import { Engine, engineDefaults, entrypoints, type Decision } from '../engine/index.js';
import { describeThrown } from '../errors.js';
import type { InputProblem } from '../manifests/index.js';
import { describePosition } from '../output/report.js';
import { buildPolicies } from '../toolchain/build.js';
import { resolveOpa, type OpaTool } from '../toolchain/opa.js';
import { describeDecision, describeExpectation, describeMutation } from './expectations.js';
import { loadFixtures, policyFixtureDirs, runFixtures, type FixtureCase, type FixtureOutcome } from './fixtures.js';
import { gatekeeperStage } from './gatekeeper.js';
import { canonicalDecision, canonicalMutation, opaEvaluateMany, readOpaDecision, readOpaMutation } from './parity.js';
import { opaCoverage, runOpaTests, runTestsOnWasm, testEntrypoint, testLocation, type RegoTest } from './rego-tests.js';

export * from './expectations.js';
export * from './fixtures.js';
export * from './parity.js';
export * from './rego-tests.js';

/** One thing that did not hold, told so that it can be found and fixed. */
export interface Failure {
  readonly title: string;
  /** file:line */
  readonly where?: string;
  readonly details: readonly string[];
}

export interface Stage {
  readonly name: string;
  readonly passed: number;
  readonly failures: readonly Failure[];
  readonly notes: readonly string[];
  /** What to print instead of the pass count. */
  readonly summary?: string;
  /** Why the stage could not run at all. */
  readonly error?: string;
}

export interface HarnessReport {
  readonly stages: readonly Stage[];
  /** Fixture files or documents that could not be read as fixtures. */
  readonly problems: readonly InputProblem[];
  /** Every fixture with its outcome, for callers that report them one by one (the tap suite). */
  readonly fixtures: readonly FixtureOutcome[];
  /** Fixture parity: per fixture, the OPA decision text when it differs from the engine's. */
  readonly divergent: ReadonlyMap<FixtureCase, string>;
}

export interface HarnessOptions {
  /** Directory of Rego policies and their *_test.rego files (and data.yaml). */
  readonly policiesDir: string;
  /** Where the compiled policy goes (policy.wasm, data.json, capabilities.json); unchanged sources are not compiled again. */
  readonly outDir: string;
  /** Fixture files or directories, besides the policies' own fixtures/ directories. */
  readonly fixtures?: readonly string[];
  /** Also every fixtures/ directory under policiesDir (policyFixtureDirs); default true. Without any fixture the fixture stages are skipped. */
  readonly policyFixtures?: boolean;
  /** Minimum coverage of the policy files in percent; 0 turns the check off. */
  readonly coverage: number;
  readonly opa?: OpaTool;
  readonly log?: (line: string) => void;
  /** Engine workers for the fixtures (default: one per core, at most 4). */
  readonly workers?: number;
  /** Deadline of one Rego test on the WASM engine (default wasmTestTimeoutMs, 10 s). */
  readonly wasmTestTimeoutMs?: number;
  /** Paths of gator Suites (Gatekeeper templates' tests) to run as a last stage. */
  readonly gatekeeper?: readonly string[];
  /**
   * A regular expression selecting what runs: the Rego tests whose name (data.pkg.test_x) it matches,
   * as `opa test --run` does, and the fixtures whose file or object ("Pod ns/name") it matches.
   * Coverage is not measured then: a subset of the tests does not cover the policies.
   */
  readonly run?: string;
}

function stageError(name: string, err: unknown): Stage {
  return { name, passed: 0, failures: [], notes: [], error: describeThrown(err) };
}

function opaStage(tests: readonly RegoTest[], only: string | undefined): Stage {
  const failures = tests
    .filter((t) => t.outcome === 'fail' || t.outcome === 'error')
    .map((t) => ({
      title: `${t.package}.${t.name}`,
      where: testLocation(t),
      details:
        t.outcome === 'error'
          ? [`error: ${t.error ?? 'unknown'}`]
          : ['FAIL (the rule is not true)', ...(t.explanation ? ['the expression that failed, with its values (opa test --var-values):', ...t.explanation.map((l) => `  ${l}`)] : [])],
    }));
  const skipped = tests.filter((t) => t.outcome === 'skip').length;
  const notes = [
    ...(tests.length === 0 ? [only === undefined ? 'no Rego tests found (rules named test_*)' : `no Rego test name matches --run ${only}`] : []),
    ...(only !== undefined && tests.length > 0 ? [`only the tests matching --run ${only}; coverage is not measured`] : []),
    ...(skipped > 0 ? [`${skipped} skipped (todo_)`] : []),
  ];
  return { name: 'Rego unit tests (opa test)', passed: tests.filter((t) => t.outcome === 'pass').length, failures, notes };
}

async function coverageStage(opa: OpaTool, policiesDir: string, threshold: number): Promise<Stage> {
  const name = `Coverage of the policies (at least ${threshold}%)`;
  const coverage = await opaCoverage(opa, policiesDir);
  const below = coverage.files.filter((f) => f.percent < 100).slice(0, 8);
  const detail = below.map((f) => `${isAbsolute(f.file) ? relative(process.cwd(), f.file) : f.file}: ${f.percent.toFixed(1)}%${f.notCovered.length > 0 ? `, lines not covered: ${f.notCovered.slice(0, 12).join(', ')}` : ''}`);
  if (coverage.percent + 1e-9 < threshold) {
    return {
      name,
      passed: 0,
      failures: [{ title: `coverage is ${coverage.percent.toFixed(2)}%, below ${threshold}%`, details: detail }],
      notes: [],
      summary: `${coverage.percent.toFixed(2)}%`,
    };
  }
  return { name, passed: 1, failures: [], notes: [], summary: `${coverage.percent.toFixed(2)}% of the policy lines are evaluated by the tests` };
}

async function wasmTestStage(opa: OpaTool, policiesDir: string, tests: readonly RegoTest[], capabilitiesFile: string, timeoutMs?: number): Promise<Stage> {
  const name = 'Rego unit tests on the WASM engine (same result as opa test)';
  const onWasm = await runTestsOnWasm(opa, policiesDir, tests, capabilitiesFile, timeoutMs);
  const failures: Failure[] = [];
  let passed = 0;
  let failedOnBoth = 0;
  const duplicates = new Set<string>();
  for (const test of tests) {
    if (test.outcome === 'skip') continue;
    if (test.name.includes('#')) {
      duplicates.add(`${test.package}.${test.name.split('#')[0]}`);
      continue;
    }
    const wasm = onWasm.get(testEntrypoint(test));
    if (!wasm) continue;
    if (wasm.outcome === test.outcome) {
      if (test.outcome === 'pass') passed++;
      else failedOnBoth++;
    } else {
      failures.push({
        title: `${test.package}.${test.name}: OPA and the WASM engine disagree`,
        where: testLocation(test),
        details: [
          `opa test:    ${test.outcome}${test.error ? ` (${test.error})` : ''}`,
          `WASM engine: ${wasm.outcome} (${wasm.outcome === 'error' ? wasm.detail : `value ${wasm.detail}`})`,
        ],
      });
    }
  }
  const notes = [...duplicates].map(
    (d) => `${d} has several definitions: opa test runs each alone, the WASM engine only the rule as a whole, so it is not compared (give each test its own name)`,
  );
  // A test that fails on both engines agrees, but is no pass: the count says so.
  const summary = failedOnBoth > 0 ? `${passed} passed, ${failedOnBoth} failed on both (as in opa test above)${failures.length > 0 ? `, ${failures.length} disagree` : ''}` : undefined;
  return { name, passed, failures, notes, ...(summary ? { summary } : {}) };
}

function fixtureFailure(outcome: FixtureOutcome): Failure {
  const f = outcome.fixture;
  return {
    title: describeObject(f.object),
    where: `${f.source.file}:${f.source.line} (${describePosition({ document: f.source.document, item: f.source.item })})`,
    details: [
      ...outcome.failures,
      `expected: ${describeExpectation(f.expectation).join('\n          ')}`,
      ...(outcome.decision ? [`actual:   ${describeDecision(outcome.decision).join('\n          ')}`] : []),
      ...(outcome.pods ? [`its pods: ${describeMutation(inWorkload(outcome.pods))}`] : []),
      ...(outcome.defaulted && reachesMutatingWebhook(f.review.request) ? [`mutation: ${describeMutation(outcome.defaulted.mutation)}`] : []),
    ],
  };
}

function decisionLines(label: string, decision: Decision | string): string[] {
  const pad = ' '.repeat(label.length);
  if (typeof decision === 'string') return [`${label}${decision}`];
  const [head, ...rest] = describeDecision(decision);
  return [`${label}${head}`, ...rest.map((l, i) => `${pad}${i + 1}. ${l}`)];
}

function sameSet(a: Decision, b: Decision): boolean {
  const key = (d: Decision) => JSON.stringify(JSON.parse(canonicalDecision(d)).violations.map((v: unknown) => JSON.stringify(v)).sort());
  return a.allowed === b.allowed && key(a) === key(b);
}

/** Mutations where the engine computed one (pods on CREATE), the same asked of `opa eval`: what differs. */
async function mutationParity(opa: OpaTool, policiesDir: string, outcomes: readonly FixtureOutcome[], divergent: Map<FixtureCase, string>): Promise<Failure[]> {
  // What the engine mutated: created pods, and the pods workloads create.
  const mutated = outcomes.flatMap((o) => {
    if (o.pods) return [{ o, review: o.pods.review, mutation: o.pods.mutation }];
    if (o.defaulted && reachesMutatingWebhook(o.fixture.review.request)) return [{ o, review: o.fixture.review, mutation: o.defaulted.mutation }];
    return [];
  });
  const raw = await opaEvaluateMany(opa, policiesDir, mutated.map((m) => m.review), entrypoints.mutation);
  const failures: Failure[] = [];
  mutated.forEach(({ o, mutation }, i) => {
    const fromOpa = readOpaMutation(raw[i]);
    const opaText = 'mutation' in fromOpa ? canonicalMutation(fromOpa.mutation) : `error: ${fromOpa.error}`;
    const wasmText = canonicalMutation(mutation);
    if (opaText === wasmText) return;
    divergent.set(o.fixture, opaText);
    failures.push({
      title: `${describeObject(o.fixture.object)}: opa eval and the WASM engine mutate differently`,
      where: `${o.fixture.source.file}:${o.fixture.source.line}`,
      details: [`opa eval:    ${opaText}`, `WASM engine: ${wasmText}`],
    });
  });
  return failures;
}

async function parityStage(opa: OpaTool, policiesDir: string, outcomes: readonly FixtureOutcome[], divergent: Map<FixtureCase, string>): Promise<Stage> {
  const name = 'Fixture parity (opa eval on the Rego source vs the WASM engine)';
  const decided = outcomes.filter((o): o is FixtureOutcome & { decision: Decision; defaulted: DefaultedReview } => o.decision !== undefined && o.defaulted !== undefined);
  // Each side decides the review the engine decided: the object after the mutation.
  const raw = await opaEvaluateMany(opa, policiesDir, decided.map((o) => o.defaulted.review));
  const failures: Failure[] = [];
  decided.forEach((o, i) => {
    const fromOpa = readOpaDecision(raw[i]);
    const opaText = 'decision' in fromOpa ? canonicalDecision(fromOpa.decision) : `error: ${fromOpa.error}`;
    if (opaText === canonicalDecision(o.decision)) return;
    divergent.set(o.fixture, opaText);
    const reordered = 'decision' in fromOpa && sameSet(fromOpa.decision, o.decision);
    failures.push({
      title: `${describeObject(o.fixture.object)}: opa eval and the WASM engine decide differently`,
      where: `${o.fixture.source.file}:${o.fixture.source.line}`,
      details: [
        ...(reordered ? ['the same violations in another order: return them in a fixed order (sort them), OPA sorts sets and WebAssembly does not'] : []),
        ...decisionLines('opa eval:    ', 'decision' in fromOpa ? fromOpa.decision : opaText),
        ...decisionLines('WASM engine: ', o.decision),
      ],
    });
  });
  failures.push(...(await mutationParity(opa, policiesDir, outcomes, divergent)));
  return { name, passed: decided.filter((o) => !divergent.has(o.fixture)).length, failures, notes: [] };
}

/** The fixture paths for a stage name: those under the policy directory as one glob. */
function describeFixturePaths(paths: readonly string[], policiesDir: string): string {
  const beside = policyFixtureDirs(policiesDir);
  const shown = (path: string) => (isAbsolute(path) ? relative(process.cwd(), path) || '.' : path);
  const others = paths.filter((p) => !beside.includes(p)).map(shown);
  return [...(paths.some((p) => beside.includes(p)) ? [`${shown(policiesDir)}/**/fixtures`] : []), ...others].join(', ');
}

export interface FixtureCheckOptions {
  readonly opa: OpaTool;
  /** The Rego source, for opa eval. */
  readonly policiesDir: string;
  /** The same policy compiled (policy.wasm), for the engine. */
  readonly bundleDir: string;
  readonly fixtures: readonly string[];
  readonly workers?: number;
  /** Only the fixtures whose file (as given) or object ("Pod ns/name") this regular expression matches. */
  readonly run?: string;
}

/**
 * The fixture stages alone: every fixture decided by the engine and checked against its
 * expectation, then all of them decided by one `opa eval` on the source and compared.
 */
export async function checkFixtures(options: FixtureCheckOptions): Promise<Pick<HarnessReport, 'stages' | 'problems' | 'fixtures' | 'divergent'>> {
  const loaded = await loadFixtures(options.fixtures);
  const only = options.run === undefined ? undefined : new RegExp(options.run);
  const set = only ? { ...loaded, cases: loaded.cases.filter((c) => only.test(c.source.file) || only.test(describeObject(c.object))) } : loaded;
  const stages: Stage[] = [];
  const divergent = new Map<FixtureCase, string>();
  let fixtures: FixtureOutcome[] = [];
  if (set.cases.length === 0) {
    const none = only ? `no fixture in ${options.fixtures.join(', ')} matches --run ${options.run}` : `no fixture documents in ${options.fixtures.join(', ')}`;
    if (set.problems.length === 0) stages.push({ name: 'Fixtures', passed: 0, failures: [], notes: [none] });
    return { stages, problems: set.problems, fixtures, divergent };
  }
  const engine = await Engine.load({ bundle: options.bundleDir, workers: options.workers ?? Math.min(engineDefaults.workers, 4) });
  try {
    fixtures = await runFixtures(engine, set.cases);
  } finally {
    await engine.close();
  }
  const failed = fixtures.filter((o) => o.failures.length > 0);
  stages.push({ name: `Fixtures (${describeFixturePaths(options.fixtures, options.policiesDir)})`, passed: fixtures.length - failed.length, failures: failed.map(fixtureFailure), notes: only ? [`only the ${set.cases.length} of ${loaded.cases.length} fixtures matching --run ${options.run}`] : [] });
  stages.push(await parityStage(options.opa, options.policiesDir, fixtures, divergent).catch((err: unknown) => stageError('Fixture parity', err)));
  return { stages, problems: set.problems, fixtures, divergent };
}

/**
 * The policy authors' test run: Rego unit tests with OPA and a coverage floor, the same tests
 * compiled to WebAssembly and run on wasmgate's engine (any difference fails), then the fixtures:
 * each decided by the engine against its expectation, and all of them by one `opa eval` on the
 * Rego source, whose decisions must be identical to the engine's.
 */
export async function runPolicyTests(options: HarnessOptions): Promise<HarnessReport> {
  const log = options.log ?? (() => {});
  const opa = options.opa ?? resolveOpa(log);
  const { policiesDir } = options;
  const stages: Stage[] = [];

  // OPA's own runs need no build: start them while the policies compile.
  const opaTests = runOpaTests(opa, policiesDir, options.run).then(
    (tests) => ({ tests }),
    (err: unknown) => ({ err }),
  );
  const coverage =
    options.coverage > 0 && options.run === undefined
      ? coverageStage(opa, policiesDir, options.coverage).catch((err: unknown) => stageError(`Coverage of the policies (at least ${options.coverage}%)`, err))
      : undefined;
  let compiled = true;
  try {
    await buildPolicies({ opa, policiesDir, outDir: options.outDir });
  } catch (err) {
    compiled = false;
    stages.push(stageError('Compile the policies to WebAssembly (opa fmt, check --strict, build)', err));
  }

  const opaResult = await opaTests;
  const tests = 'tests' in opaResult ? opaResult.tests : undefined;
  stages.push(tests ? opaStage(tests, options.run) : stageError('Rego unit tests (opa test)', (opaResult as { err: unknown }).err));
  // The coverage run takes the longest of OPA's (several times opa test): what follows does not wait
  // for it, and the stages are reported in their order all the same.
  const onWasm =
    tests && compiled
      ? wasmTestStage(opa, policiesDir, tests, join(options.outDir, 'capabilities.json'), options.wasmTestTimeoutMs).catch((err: unknown) => stageError('Rego unit tests on the WASM engine', err))
      : undefined;
  const fixtureStages = laterStages(options, opa, compiled).then((rest) => ({ rest }), (err: unknown) => ({ err }));
  if (coverage) stages.push(await coverage);
  if (onWasm) stages.push(await onWasm);
  const later = await fixtureStages;
  if ('err' in later) throw later.err;
  return { ...later.rest, stages: [...stages, ...later.rest.stages] };
}

/** The fixture stages, then the Gatekeeper suites. */
async function laterStages(options: HarnessOptions, opa: OpaTool, compiled: boolean): Promise<Pick<HarnessReport, 'stages' | 'problems' | 'fixtures' | 'divergent'>> {
  const { policiesDir } = options;
  const log = options.log ?? (() => {});
  const gatekeeper = async (): Promise<Stage[]> =>
    options.gatekeeper && options.gatekeeper.length > 0
      ? [await gatekeeperStage(options.gatekeeper, opa, log).catch((err: unknown) => stageError(`Gatekeeper suites (${options.gatekeeper!.join(', ')})`, err))]
      : [];
  const fixtures = [...(options.policyFixtures === false ? [] : policyFixtureDirs(policiesDir)), ...(options.fixtures ?? [])];
  if (fixtures.length === 0) return { stages: await gatekeeper(), problems: [], fixtures: [], divergent: new Map() };
  if (!compiled) return { stages: await gatekeeper(), problems: (await loadFixtures(fixtures)).problems, fixtures: [], divergent: new Map() };
  const checked = await checkFixtures({ opa, policiesDir, bundleDir: options.outDir, fixtures, workers: options.workers, run: options.run });
  return { ...checked, stages: [...checked.stages, ...(await gatekeeper())] };
}

/** 2 when fixtures could not be read, 1 when anything failed, else 0. */
export function harnessExitCode(report: HarnessReport): number {
  if (report.problems.length > 0) return 2;
  if (report.stages.some((s) => s.error !== undefined || s.failures.length > 0)) return 1;
  return 0;
}
