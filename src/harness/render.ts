import pc from 'picocolors';
import { describePosition, plural } from '../output/report.js';
import { harnessExitCode, type HarnessReport } from './index.js';

/**
 * The harness report for a person: each stage with a mark and its counts, every failure with where
 * it is and what differed, fixture input problems, and a closing verdict.
 */
export function renderHarnessReport(report: HarnessReport, options: { color?: boolean } = {}): string {
  const c = pc.createColors(options.color ?? false);
  const out: string[] = [];
  for (const stage of report.stages) {
    const ok = stage.error === undefined && stage.failures.length === 0;
    const counts =
      stage.error !== undefined
        ? c.red('could not run')
        : stage.summary ?? `${stage.passed} passed${stage.failures.length > 0 ? c.red(`, ${stage.failures.length} failed`) : ''}`;
    out.push(`${ok ? c.green('✓') : c.red('✗')} ${c.bold(stage.name)}: ${counts}`);
    if (stage.error !== undefined) out.push(...stage.error.split('\n').map((l) => `    ${l}`));
    for (const failure of stage.failures) {
      out.push(`  ${c.red('✗')} ${failure.title}${failure.where ? `  ${c.dim(failure.where)}` : ''}`);
      for (const detail of failure.details) out.push(...detail.split('\n').map((l) => `      ${l}`));
    }
    for (const note of stage.notes) out.push(`    ${c.dim(note)}`);
  }
  if (report.problems.length > 0) {
    out.push(`${c.red('✗')} ${c.bold('Fixture files that could not be used')}: ${report.problems.length}`);
    for (const p of report.problems) {
      const where = describePosition(p);
      out.push(`  ${c.red('✗')} ${p.file}${p.line !== undefined ? `:${p.line}` : ''}${where ? c.dim(` (${where})`) : ''}  ${p.message}`);
    }
  }
  const failed = report.stages.reduce((n, s) => n + s.failures.length + (s.error !== undefined ? 1 : 0), 0);
  const code = harnessExitCode(report);
  out.push('');
  if (code === 0) out.push(c.green(`All policy tests passed (${report.stages.map((s) => s.passed).reduce((a, b) => a + b, 0)} checks).`));
  else {
    const parts = [...(failed > 0 ? [plural(failed, 'failure')] : []), ...(report.problems.length > 0 ? [plural(report.problems.length, 'unusable fixture')] : [])];
    out.push(c.red(`Policy tests FAILED: ${parts.join(', ')}.`));
  }
  return `${out.join('\n')}\n`;
}
