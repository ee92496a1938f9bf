import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultReview, type DefaultedReview, type Mutator } from '../admission/defaulting.js';
import { describeObject, objectRefOf, reviewFor, type ObjectRef } from '../admission/synthesize.js';
import { inWorkload, templatePodMutation, type TemplatePods } from '../admission/template-pods.js';
import type { AdmissionRequest, AdmissionReview } from '../admission/types.js';
import type { Decision } from '../engine/index.js';
import { describeThrown } from '../errors.js';
import { readManifests, type InputProblem, type SourceRef } from '../manifests/index.js';
import { checkExpectation, parseExpectation, type Expectation } from './expectations.js';

/** The requesting user of a fixture that names none (test/fixtures/README.md). */
export const fixtureUser = 'fixture-user';

/**
 * The fixtures that live beside their policy: every directory named `fixtures` under the policy
 * directory (policies/<family>/<name>/fixtures), in path order.
 */
export function policyFixtureDirs(policiesDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name === 'fixtures') found.push(path);
      else walk(path);
    }
  };
  walk(policiesDir);
  return found;
}

/** Every fixture directory of a wasmgate checkout: those beside its policies, and its test/fixtures. */
export function projectFixtureDirs(root: string, policiesDir = join(root, 'policies')): string[] {
  return [...policyFixtureDirs(policiesDir), join(root, 'test', 'fixtures')];
}

/** One fixture document with what its author expects of it. */
export interface FixtureCase {
  readonly source: SourceRef;
  readonly object: ObjectRef;
  readonly expectation: Expectation;
  readonly review: AdmissionReview & { request: AdmissionRequest };
}

export interface FixtureSet {
  readonly files: readonly string[];
  readonly cases: readonly FixtureCase[];
  /** Unreadable files, syntax errors, documents without (valid) expectations. */
  readonly problems: readonly InputProblem[];
}

function namespaceOf(object: Readonly<Record<string, unknown>>): string | undefined {
  const metadata = object.metadata;
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const ns = (metadata as Record<string, unknown>).namespace;
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
}

/** Reads every manifest under the fixture paths, with its expectation and the review it stands for. */
export async function loadFixtures(paths: readonly string[]): Promise<FixtureSet> {
  const set = await readManifests(paths);
  const cases: FixtureCase[] = [];
  const problems: InputProblem[] = [...set.problems];
  for (const manifest of set.manifests) {
    const { expectation, errors } = parseExpectation(manifest.comments);
    if (!expectation) {
      problems.push(...errors.map((message) => ({ ...manifest.source, message: `fixture: ${message}` })));
      continue;
    }
    const own = namespaceOf(manifest.object);
    if (expectation.request.namespace !== undefined && own !== undefined && own !== expectation.request.namespace) {
      problems.push({ ...manifest.source, message: `fixture: "# namespace: ${expectation.request.namespace}" contradicts metadata.namespace "${own}"` });
      continue;
    }
    try {
      const review = reviewFor(manifest.object, { user: fixtureUser, ...expectation.request, uid: `fixture-${cases.length}` });
      cases.push({ source: manifest.source, object: objectRefOf(review), expectation, review });
    } catch (err) {
      problems.push({ ...manifest.source, message: `fixture: ${describeThrown(err)}` });
    }
  }
  return { files: set.files, cases, problems };
}

export interface FixtureOutcome {
  readonly fixture: FixtureCase;
  /** The WASM engine's mutation, where the API server calls the mutating webhook, and the review it leaves. */
  readonly defaulted?: DefaultedReview;
  /** For a workload: the WASM engine's mutation of the pods it creates. */
  readonly pods?: TemplatePods;
  /** The WASM engine's decision of the defaulted review (absent when it failed). */
  readonly decision?: Decision;
  readonly error?: string;
  /** What did not meet the expectation: empty when the fixture passed. */
  readonly failures: readonly string[];
}

/**
 * Mutates (where the API server would) and then decides every fixture on the engine, as the API server
 * runs the two webhooks, and checks both against the fixture's expectation; a workload's mutation is
 * that of the pods it creates.
 */
export async function runFixtures(engine: Mutator & { evaluate(input: object | Uint8Array): Promise<Decision> }, cases: readonly FixtureCase[]): Promise<FixtureOutcome[]> {
  return Promise.all(
    cases.map(async (fixture) => {
      let defaulted: DefaultedReview | undefined;
      let pods: TemplatePods | undefined;
      try {
        defaulted = await defaultReview(engine, fixture.review);
        pods = await templatePodMutation(engine, fixture.review);
        const decision = await engine.evaluate(Buffer.from(JSON.stringify(defaulted.review), 'utf8'));
        // A workload's mutation, for its expectations, is its pods', in the workload's paths.
        const mutation = pods ? inWorkload(pods) : defaulted.mutation;
        return { fixture, defaulted, ...(pods ? { pods } : {}), decision, failures: checkExpectation(fixture.expectation, decision, mutation) };
      } catch (err) {
        const error = `the policy could not ${defaulted ? 'decide' : 'default'} ${describeObject(fixture.object)}: ${describeThrown(err)}`;
        return { fixture, ...(defaulted ? { defaulted } : {}), error, failures: [error] };
      }
    }),
  );
}
