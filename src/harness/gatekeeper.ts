import { findSuites, SuiteRunner, totalsOf } from '../gatekeeper/verify.js';
import type { OpaTool } from '../toolchain/opa.js';
import type { Failure, Stage } from './index.js';

/**
 * The Gatekeeper stage of `wasmgate test --gatekeeper PATH`: the gator Suites under the paths, run
 * as `wasmgate verify` runs them; each failed case (or test that could not run) is a failure.
 */
export async function gatekeeperStage(paths: readonly string[], opa: OpaTool, log?: (line: string) => void): Promise<Stage> {
  const name = `Gatekeeper suites (${paths.join(', ')})`;
  const suites = await findSuites(paths);
  if (suites.length === 0) return { name, passed: 0, failures: [], notes: [], error: `no Suite files under ${paths.join(', ')}` };
  const runner = new SuiteRunner({ opa, ...(log ? { log } : {}) });
  const failures: Failure[] = [];
  const results = [];
  for (const suite of suites) {
    const result = await runner.run(suite);
    results.push(result);
    for (const test of result.tests) {
      if (test.error !== undefined) failures.push({ title: `${test.name}: the test could not run`, where: suite.path, details: test.error.split('\n') });
      for (const c of test.cases) {
        if (c.error !== undefined) failures.push({ title: `${test.name} / ${c.name}`, where: suite.path, details: c.error.split('\n') });
      }
    }
  }
  const totals = totalsOf(results);
  return { name, passed: totals.passed, failures, notes: totals.skipped > 0 ? [`${totals.skipped} skipped`] : [] };
}
