#!/usr/bin/env node
// `npm run diff:psp -- [--cases N] [--seed S] [--show K] [--write FILE.md] [--bundle DIR] [--programs N] [--eval-runs K]
// [--deployments D]`: the differential test against
// Kubernetes v1.24.17's own PodSecurityPolicy plugin (README "Differential test against Kubernetes' PSP
// plugin"). Generates N seeded cases, asks the oracle (scripts/psp, built on first use) and wasmgate's
// compiled policy (wasm/ from `npm run build`, or --bundle), prints the agreement rates and the first K
// disagreements (those not documented as deliberate deviations are marked); then a sample of N cases
// (default 40) through a real `wasmgate serve` (/mutate, /validate) and `wasmgate eval -o json` (at most
// K runs, one per user and namespace), which must answer as the engine in process does; and up to D
// (--deployments, default 500) of the pods as a Deployment's template. Exit 1 when an agreement rate is
// below 99%, a program answers otherwise than the engine, or a Deployment whose pods PSP admits is denied.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    show: { type: 'string', default: '10' },
    write: { type: 'string' },
    bundle: { type: 'string' },
    programs: { type: 'string', default: '40' },
    'eval-runs': { type: 'string', default: '3' },
    deployments: { type: 'string', default: '500' },
  },
});
const count = Number(values.cases);
const seed = Number(values.seed);
const show = Number(values.show);
const programs = Number(values.programs);
const evalRuns = Number(values['eval-runs']);
const deployments = Number(values.deployments);
for (const [name, n] of [['--cases', count], ['--seed', seed], ['--show', show], ['--programs', programs], ['--eval-runs', evalRuns], ['--deployments', deployments]]) {
  if (!Number.isInteger(n) || n < 0) {
    console.error(`diff:psp: ${name} must be a non-negative integer`);
    process.exit(2);
  }
}

const { resolvePspOracle, PspOracleProcess } = await import('../dist/toolchain/psp-oracle.js');
const { loadBundle, defaultBundleDir } = await import('../dist/engine/index.js');
const { generateCases } = await import('../dist/psp-diff/generate.js');
const { InProcessWasmgate } = await import('../dist/psp-diff/wasmgate-side.js');
const { ServedWasmgate, evalSample, sameDataSample } = await import('../dist/psp-diff/programs.js');
const { dataForCase } = await import('../dist/psp-diff/wasmgate-side.js');
const { differentialRun, explainChoices, formatTemplateSummary, judge, programDifferences, templateRun, formatDisagreement, formatDisagreementMarkdown, formatSummary, isDisagreement, summarise } = await import('../dist/psp-diff/run.js');

const started = Date.now();
const oracle = new PspOracleProcess(resolvePspOracle((line) => console.error(`diff:psp: ${line}`)));
const bundle = await loadBundle(values.bundle ?? defaultBundleDir);
const wasmgate = new InProcessWasmgate(bundle);
let outcomes;
let templates;
try {
  outcomes = await differentialRun(oracle, generateCases(count, seed), (r) =>
    wasmgate.evaluate(r.case, r.answer.input, r.answer.oldInput),
  );
  outcomes = await explainChoices(oracle, outcomes);
  templates = await templateRun(oracle, outcomes, (c, pod) => wasmgate.deploymentDenials(c, pod), deployments);
} finally {
  await oracle.close();
}
const summary = summarise(outcomes);
const disagreements = outcomes.filter(isDisagreement);
console.log(`differential test against Kubernetes v1.24.17's PodSecurityPolicy plugin, seed ${seed} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(formatSummary(summary));
const undocumented = disagreements.filter((o) => o.verdict.deviation === undefined);
if (disagreements.length > 0) {
  console.log(`\n${disagreements.length} disagreements (${undocumented.length} not documented); the first ${Math.min(show, disagreements.length)}:\n`);
  for (const o of disagreements.slice(0, show)) console.log(`${formatDisagreement(o)}\n`);
}

let templateProblems = 0;
if (templates.length > 0) {
  console.log(`\n${formatTemplateSummary(templates)}`);
  for (const o of templates.filter((t) => t.kubernetes.allowed && t.denials.length > 0)) {
    templateProblems++;
    if (templateProblems <= show) console.log(`  case ${o.case.id}: Kubernetes admits the pod (${o.kubernetes.psp}); wasmgate denies the Deployment: ${o.denials.map((d) => d.message).join('; ').slice(0, 600)}`);
  }
}

// The same cases through the real programs, for a sample sharing one data file.
let programProblems = 0;
if (programs > 0) {
  const sample = sameDataSample(outcomes, programs);
  const report = (name, answers) => {
    let agree = 0;
    for (const o of sample) {
      const answer = answers.get(o.case.id);
      if (!answer) continue;
      const v = judge(o, answer);
      if (v.kind === 'compared' && v.admit && v.psp && v.pod && v.idempotent) agree++;
      const diff = programDifferences(o.wasmgate, answer, o.case.operation);
      if (diff.length > 0) {
        programProblems++;
        console.log(`  ${name}, case ${o.case.id}: differs from the engine in process: ${diff.join('; ')}`);
      }
    }
    console.log(`through ${name}: ${answers.size} cases, ${agree} agree with Kubernetes on everything`);
  };
  console.log('');
  const served = await ServedWasmgate.start(dataForCase(bundle.data, sample[0].case));
  const servedAnswers = new Map();
  try {
    for (const o of sample) servedAnswers.set(o.case.id, await served.evaluate(o.case, o.answer.input, o.answer.oldInput));
  } finally {
    await served.stop();
  }
  report('wasmgate serve (/mutate, then /validate)', servedAnswers);
  report(`wasmgate eval -o json (${evalRuns} runs at most)`, evalSample(sample, bundle.data, evalRuns));
}

if (values.write) {
  const header = `# Disagreements with Kubernetes v1.24.17's PSP plugin\n\n\`npm run diff:psp -- --cases ${count} --seed ${seed}\`\n\n\`\`\`\n${formatSummary(summary)}\n\`\`\`\n\n`;
  writeFileSync(values.write, header + disagreements.map(formatDisagreementMarkdown).join('\n\n') + '\n');
  console.log(`wrote ${disagreements.length} disagreements (each with its case in full) to ${values.write}`);
}
const rate = (n) => (summary.compared === 0 ? 0 : n / summary.compared);
const below = [summary.admitAgree, summary.pspAgree, summary.podAgree].some((n) => rate(n) < 0.99);
process.exit(below || programProblems > 0 || templateProblems > 0 ? 1 : 0);
