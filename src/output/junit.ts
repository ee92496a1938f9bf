import { describeObject } from '../admission/synthesize.js';
import type { Formatter } from './index.js';
import { describePosition, groupBy, summarize, type DocumentResult, type Report } from './report.js';
import type { InputProblem } from '../manifests/index.js';

const xmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text as XML character data or attribute value; characters XML 1.0 cannot hold are dropped. */
export function escapeXml(value: string): string {
  return value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, (ch) => xmlEscapes[ch]!);
}

function violationLines(result: DocumentResult, actions: readonly string[]): string {
  return result.violations
    .filter((v) => actions.includes(v.action))
    .map((v) => `[${v.action}] ${v.policy}: ${v.message}${v.path ? ` (${v.path}${v.line !== undefined ? `, line ${v.line}` : ''})` : ''}`)
    .join('\n');
}

function testcase(result: DocumentResult, failOnWarn: boolean): string {
  const name = `${describeObject(result.object)} (${describePosition(result.source)})`;
  const open = `    <testcase classname="${escapeXml(result.source.file)}" name="${escapeXml(name)}" file="${escapeXml(result.source.file)}" line="${result.source.line}">`;
  const body: string[] = [];
  if (result.outcome === 'error') {
    body.push(`      <error message="${escapeXml(result.error ?? 'evaluation failed')}" type="evaluation"/>`);
  } else if (result.outcome === 'denied' || (failOnWarn && result.outcome === 'warned')) {
    const failing = result.outcome === 'denied' ? ['deny'] : ['warn'];
    const first = result.violations.find((v) => failing.includes(v.action));
    body.push(
      `      <failure message="${escapeXml(first ? `${first.policy}: ${first.message}` : result.outcome)}" type="${result.outcome}">${escapeXml(violationLines(result, ['deny', 'warn', 'dryrun']))}</failure>`,
    );
  } else if (result.violations.length > 0) {
    body.push(`      <system-out>${escapeXml(violationLines(result, ['warn', 'dryrun']))}</system-out>`);
  }
  return body.length === 0 ? `${open}</testcase>` : [open, ...body, '    </testcase>'].join('\n');
}

function problemCase(problem: InputProblem): string {
  const where = describePosition(problem);
  const name = `input error${where ? ` (${where})` : ''}`;
  return [
    `    <testcase classname="${escapeXml(problem.file)}" name="${escapeXml(name)}" file="${escapeXml(problem.file)}"${problem.line !== undefined ? ` line="${problem.line}"` : ''}>`,
    `      <error message="${escapeXml(problem.message)}" type="input"/>`,
    '    </testcase>',
  ].join('\n');
}

/** For CI test reports: one testsuite per file, one testcase per document; input errors are errors. */
export const junit: Formatter = {
  name: 'junit',
  description: 'JUnit XML: a testsuite per file, a testcase per document',
  format(report: Report): string {
    const files = [...new Set([...report.files, ...report.results.map((r) => r.source.file), ...report.problems.map((p) => p.file)])];
    const resultsOf = groupBy(report.results, (r) => r.source.file);
    const problemsOf = groupBy(report.problems, (p) => p.file);
    const suites = files.map((file) => {
      const results = resultsOf.get(file) ?? [];
      const problems = problemsOf.get(file) ?? [];
      const failures = results.filter((r) => r.outcome === 'denied' || (report.failOnWarn && r.outcome === 'warned')).length;
      const errors = results.filter((r) => r.outcome === 'error').length + problems.length;
      const cases = [...results.map((r) => testcase(r, report.failOnWarn)), ...problems.map(problemCase)];
      const attrs = `name="${escapeXml(file)}" tests="${results.length + problems.length}" failures="${failures}" errors="${errors}" skipped="0"`;
      return cases.length === 0 ? `  <testsuite ${attrs}/>` : [`  <testsuite ${attrs}>`, ...cases, '  </testsuite>'].join('\n');
    });
    const s = summarize(report);
    const failures = s.denied + (report.failOnWarn ? s.warned : 0);
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="wasmgate eval" tests="${s.documents + s.problems}" failures="${failures}" errors="${s.errors + s.problems}">`,
      ...suites,
      '</testsuites>',
      '',
    ].join('\n');
  },
};
