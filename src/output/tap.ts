import yaml from 'js-yaml';
import { describeObject } from '../admission/synthesize.js';
import type { Formatter } from './index.js';
import { isFailure, summaryLine, type Report } from './report.js';

/** A TAP description stays on one line and must not start a directive. */
function description(textValue: string): string {
  return textValue.replace(/[\r\n]+/g, ' ').replace(/#/g, '\\#');
}

/** A YAML diagnostic block, indented under its test point. */
function diagnostics(value: object): string[] {
  const body = yaml.dump(value, { lineWidth: -1, noRefs: true }).trimEnd().split('\n');
  return ['  ---', ...body.map((l) => `  ${l}`), '  ...'];
}

/** TAP version 14: one test point per document, one per input error; warnings pass unless --fail-on-warn. */
export const tap: Formatter = {
  name: 'tap',
  description: 'TAP version 14: a test point per document',
  format(report: Report): string {
    const out = ['TAP version 14', `1..${report.results.length + report.problems.length}`];
    let n = 0;
    for (const r of report.results) {
      n++;
      const ok = !isFailure(r, report.failOnWarn) && r.outcome !== 'error';
      const name = `${r.source.file}:${r.source.line} ${describeObject(r.object)} ${r.outcome}`;
      out.push(`${ok ? 'ok' : 'not ok'} ${n} - ${description(name)}`);
      if (r.violations.length > 0 || r.error) {
        out.push(
          ...diagnostics({
            document: r.source.document,
            ...(r.source.item !== undefined ? { item: r.source.item } : {}),
            ...(r.error ? { error: r.error } : {}),
            ...(r.violations.length > 0 ? { violations: r.violations } : {}),
          }),
        );
      }
    }
    for (const p of report.problems) {
      n++;
      out.push(`not ok ${n} - ${description(`${p.file}${p.line !== undefined ? `:${p.line}` : ''} input error`)}`);
      out.push(...diagnostics({ message: p.message, ...(p.document !== undefined ? { document: p.document } : {}) }));
    }
    for (const note of report.notes ?? []) {
      out.push(`# note: ${note.file}${note.line !== undefined ? `:${note.line}` : ''} ${note.message.replace(/[\r\n]+/g, ' ')}`);
    }
    out.push(`# ${summaryLine(report)}`);
    return `${out.join('\n')}\n`;
  },
};
