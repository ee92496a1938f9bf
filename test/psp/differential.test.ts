// The differential test against Kubernetes v1.24.17's PodSecurityPolicy plugin (README "Differential
// test against Kubernetes' PSP plugin"): a few hundred seeded cases, each decided by the real plugin
// (the oracle) and by wasmgate's compiled policy in this process; they must agree on admit/deny, the
// chosen PSP and the resulting pod in at least 99% of the cases; a sample goes through the real
// programs too. `npm run diff:psp` runs thousands.
import t from 'tap';
import { loadBundle } from '../../dist/engine/index.js';
import { generateCases } from '../../dist/psp-diff/generate.js';
import { evalSample, sameDataSample, ServedWasmgate } from '../../dist/psp-diff/programs.js';
import {
  differentialRun,
  formatDisagreement,
  formatSummary,
  formatTemplateSummary,
  isDisagreement,
  programDifferences,
  summarise,
  templateRun,
  type CaseOutcome,
} from '../../dist/psp-diff/run.js';
import { dataForCase, InProcessWasmgate } from '../../dist/psp-diff/wasmgate-side.js';
import { PspOracleProcess, resolvePspOracle } from '../../dist/toolchain/psp-oracle.js';

const cases = 400;
const seed = 20240817;

const oracle = new PspOracleProcess(resolvePspOracle());
t.teardown(() => oracle.close());
const bundle = await loadBundle();
const wasmgate = new InProcessWasmgate(bundle);

const outcomes = await differentialRun(oracle, generateCases(cases, seed), (r) => wasmgate.evaluate(r.case, r.answer.input!, r.answer.oldInput));
const summary = summarise(outcomes);
t.comment(formatSummary(summary));

t.test('enough cases are compared, both admitted and denied', async (t) => {
  t.ok(summary.compared >= cases * 0.9, `${summary.compared} of ${summary.total} compared`);
  const admitted = outcomes.filter((o) => o.verdict.kind === 'compared' && o.answer.allowed).length;
  t.ok(admitted >= summary.compared * 0.2, `${admitted} admitted by Kubernetes`);
  t.ok(summary.compared - admitted >= summary.compared * 0.2, `${summary.compared - admitted} denied by Kubernetes`);
});

t.test('PSPs and RBAC the API server refuses are refused by config_errors too', async (t) => {
  t.ok(summary.invalidData > 0, `${summary.invalidData} cases with such objects`);
  t.equal(summary.invalidDataRefused, summary.invalidData);
});

for (const [what, agreed] of [
  ['admit/deny', summary.admitAgree],
  ['chosen PSP', summary.pspAgree],
  ['resulting pod', summary.podAgree],
  ['mutation idempotent (a second pass patches nothing)', summary.idempotent],
] as const) {
  t.ok(agreed >= summary.compared * 0.99, `${what}: ${agreed}/${summary.compared} agree (at least 99%)`);
}

// Each disagreement that is not a documented deviation (src/psp-diff/deviations.ts) is a bug on one side.
const undocumented = outcomes.filter((o) => isDisagreement(o) && o.verdict.kind === 'compared' && o.verdict.deviation === undefined);
if (undocumented.length > 0) t.comment(`${undocumented.length} disagreements not documented as deviations:`);
for (const o of undocumented) t.comment(formatDisagreement(o));

// The same cases through the real programs: a sample sharing one data file, through `wasmgate serve`
// (/mutate, the patch applied, /validate) and `wasmgate eval -o json` (one run): each must answer as
// the engine in process does (the same compiled policy; a difference is the host's bug).
t.test('wasmgate serve and wasmgate eval answer as the engine in process', async (t) => {
  const sample = sameDataSample(outcomes, 24);
  t.ok(sample.length >= 20, `${sample.length} cases in the sample`);
  t.ok(sample.some((o) => o.case.operation === 'UPDATE'), 'UPDATEs among them');
  const served = await ServedWasmgate.start(dataForCase(bundle.data, sample[0]!.case));
  t.teardown(() => served.stop());
  const evaluated = evalSample(sample, bundle.data, 2);
  t.ok(evaluated.size >= 2, `${evaluated.size} cases through wasmgate eval`);
  for (const o of sample) {
    const inProcess = (o as CaseOutcome).wasmgate!;
    t.same(programDifferences(inProcess, await served.evaluate(o.case, o.answer.input!, o.answer.oldInput), o.case.operation), [], `serve, case ${o.case.id}`);
    const viaEval = evaluated.get(o.case.id);
    if (viaEval) t.same(programDifferences(inProcess, viaEval, o.case.operation), [], `eval, case ${o.case.id}`);
  }
});

// Workloads: a Deployment whose pods (as the ReplicaSet controller creates them) PSP admits is admitted.
t.test('a Deployment is admitted when Kubernetes admits the pods its controller creates', async (t) => {
  const templates = await templateRun(oracle, outcomes, (c, pod) => wasmgate.deploymentDenials(c, pod), 150);
  t.comment(formatTemplateSummary(templates));
  const admitted = templates.filter((o) => o.kubernetes.allowed);
  t.ok(admitted.length >= 20, `${admitted.length} Deployments whose pods Kubernetes admits`);
  for (const o of admitted) t.same(o.denials, [], `case ${o.case.id}: the Deployment is admitted`);
});
