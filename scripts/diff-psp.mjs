#!/usr/bin/env node
// `npm run diff:psp -- [--cases N] [--seed S] [--show K] [--write FILE.md] [--bundle DIR]`: the differential test against
// Kubernetes v1.24.17's own PodSecurityPolicy plugin (README "Differential test against Kubernetes' PSP
// plugin"). Generates N seeded cases, asks the oracle (scripts/psp, built on first use) and wasmgate's
// compiled policy (wasm/ from `npm run build`, or --bundle), prints the agreement rates and the first K
// disagreements (those not documented as deliberate deviations are marked). Exit 1 when an agreement rate is below 99%.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    show: { type: 'string', default: '10' },
    write: { type: 'string' },
    bundle: { type: 'string' },
  },
});
const count = Number(values.cases);
const seed = Number(values.seed);
const show = Number(values.show);
for (const [name, n] of [['--cases', count], ['--seed', seed], ['--show', show]]) {
  if (!Number.isInteger(n) || n < 0) {
    console.error(`diff:psp: ${name} must be a non-negative integer`);
    process.exit(2);
  }
}

const { resolvePspOracle, PspOracleProcess } = await import('../dist/toolchain/psp-oracle.js');
const { loadBundle, defaultBundleDir } = await import('../dist/engine/index.js');
const { generateCases } = await import('../dist/psp-diff/generate.js');
const { InProcessWasmgate } = await import('../dist/psp-diff/wasmgate-side.js');
const { differentialRun, explainChoices, formatDisagreement, formatDisagreementMarkdown, formatSummary, isDisagreement, summarise } = await import('../dist/psp-diff/run.js');

const started = Date.now();
const oracle = new PspOracleProcess(resolvePspOracle((line) => console.error(`diff:psp: ${line}`)));
const wasmgate = new InProcessWasmgate(await loadBundle(values.bundle ?? defaultBundleDir));
let outcomes;
try {
  outcomes = await differentialRun(oracle, generateCases(count, seed), (r) =>
    wasmgate.evaluate(r.case, r.answer.input, r.answer.oldInput),
  );
  outcomes = await explainChoices(oracle, outcomes);
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
if (values.write) {
  const header = `# Disagreements with Kubernetes v1.24.17's PSP plugin\n\n\`npm run diff:psp -- --cases ${count} --seed ${seed}\`\n\n\`\`\`\n${formatSummary(summary)}\n\`\`\`\n\n`;
  writeFileSync(values.write, header + disagreements.map(formatDisagreementMarkdown).join('\n\n') + '\n');
  console.log(`wrote ${disagreements.length} disagreements (each with its case in full) to ${values.write}`);
}
const rate = (n) => (summary.compared === 0 ? 0 : n / summary.compared);
const below = [summary.admitAgree, summary.pspAgree, summary.podAgree].some((n) => rate(n) < 0.99);
process.exit(below ? 1 : 0);
