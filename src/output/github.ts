import { describeObject } from '../admission/synthesize.js';
import type { FormatOptions, Formatter } from './index.js';
import { summaryLine, workspacePath, type Report } from './report.js';

/** A workflow command's message: %, CR and LF are escaped. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: also : and , are escaped. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(kind: 'error' | 'warning' | 'notice', props: Record<string, string | number | undefined>, message: string): string {
  const list = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${kind}${list ? ` ${list}` : ''}::${escapeData(message)}`;
}

/**
 * GitHub Actions annotations: denials are errors, warnings warnings, dry-run findings notices, each on
 * the file and line of the field at fault; then the summary line.
 */
export const github: Formatter = {
  name: 'github',
  description: 'GitHub Actions annotations (::error file=…,line=…::)',
  format(report: Report, options: FormatOptions = {}): string {
    // Annotations are placed by the path from the repository root, the job's working directory.
    const path = (file: string) => workspacePath(file, options.cwd);
    const out: string[] = [];
    for (const r of report.results) {
      const name = describeObject(r.object);
      if (r.error) out.push(command('error', { file: path(r.source.file), line: r.source.line, title: `wasmgate: ${name}` }, r.error));
      for (const v of r.violations) {
        const kind = v.action === 'deny' || (v.action === 'warn' && report.failOnWarn) ? 'error' : v.action === 'warn' ? 'warning' : 'notice';
        out.push(command(kind, { file: path(r.source.file), line: v.line ?? r.source.line, title: `${v.policy} (${v.action})` }, v.message));
      }
    }
    for (const p of report.problems) {
      out.push(command('error', { file: path(p.file), line: p.line, col: p.column, title: 'wasmgate: input error' }, p.message));
    }
    for (const n of report.notes ?? []) {
      out.push(command('notice', { file: path(n.file), line: n.line, title: 'wasmgate: note' }, n.message));
    }
    out.push(summaryLine(report));
    return `${out.join('\n')}\n`;
  },
};
