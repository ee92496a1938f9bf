import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runPolicyTests } from '../../dist/harness/index.js';
import { renderHarnessReport } from '../../dist/harness/render.js';
import { opaTool, repoRoot } from '../helpers/policies.js';

const here = join(repoRoot, 'test', 'harness');

/** The sound test policies plus one Rego test that fails: the decision has no violations, not 3. */
function withFailingTest(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-failing-test-'));
  cpSync(join(here, 'policies', 'good'), dir, { recursive: true });
  writeFileSync(
    join(dir, 'extra_test.rego'),
    'package wasmgate.extra_test\n\nimport data.wasmgate.main\n\ntest_counted if {\n\td := main.decision with input as {"request": {"operation": "DELETE", "object": {"kind": "Pod"}}}\n\tcount(d.violations) == 3\n}\n',
  );
  return dir;
}

t.test('a failing Rego test shows the expression and the values involved, not only that the rule is not true', async (t) => {
  const report = await runPolicyTests({ policiesDir: withFailingTest(), outDir: mkdtempSync(join(tmpdir(), 'wasmgate-out-')), coverage: 0, opa: opaTool() });
  const failure = report.stages[0]!.failures[0]!;
  t.equal(failure.title, 'data.wasmgate.extra_test.test_counted');
  const details = failure.details.join('\n');
  t.match(details, /extra_test\.rego:7:\n\s+count\(d\.violations\) == 3\n/, 'the failing expression, where it is');
  t.match(details, /d\.violations: \[\]/, 'the value of each term');
  t.match(details, /d: \{"allowed": true, "violations": \[\]\}/);
});

t.test('a test failing on both engines is not counted as passed on the WASM engine', async (t) => {
  const report = await runPolicyTests({ policiesDir: withFailingTest(), outDir: mkdtempSync(join(tmpdir(), 'wasmgate-out-')), coverage: 0, opa: opaTool() });
  const text = renderHarnessReport(report);
  const passed = Number(/✗ Rego unit tests \(opa test\): (\d+) passed, 1 failed\n/.exec(text)?.[1]);
  t.ok(passed > 0, text);
  t.match(text, `Rego unit tests on the WASM engine (same result as opa test): ${passed} passed, 1 failed on both`);
  t.notMatch(text, `: ${passed + 1} passed`, 'never the failing test among the passes');
  t.match(text, /Policy tests FAILED: 1 failure\./);
});
