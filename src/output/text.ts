import pc from 'picocolors';
import { describeObject } from '../admission/synthesize.js';
import type { FormatOptions, Formatter } from './index.js';
import { describePatch } from './patch.js';
import { describePosition, isFailure, summaryLine, type DocumentResult, type Report } from './report.js';
import type { InputNote, InputProblem } from '../manifests/index.js';

type Entry = { line: number; order: number; lines: string[] };

/** Continuation lines of a multi-line message stay under the line they belong to. */
function indented(message: string, indent: string): string {
  return message.replace(/\r?\n/g, `\n${indent}`);
}

/**
 * For people: results grouped by file, each document with what PSP would default and its violations
 * under it, input errors where they occurred, and a summary line. Allowed documents are listed only
 * when defaulted, or when verbose.
 */
export const text: Formatter = {
  name: 'text',
  description: 'grouped by file, coloured on a terminal, with a summary line',
  format(report: Report, options: FormatOptions = {}): string {
    const c = pc.createColors(options.color ?? false);
    const byFile = new Map<string, Entry[]>(report.files.map((f) => [f, []]));
    const entriesOf = (file: string) => {
      let list = byFile.get(file);
      if (!list) byFile.set(file, (list = []));
      return list;
    };
    const mark: Record<DocumentResult['outcome'], string> = {
      allowed: c.green('✓ allowed'),
      warned: c.yellow('! warned '),
      denied: c.red('✗ denied '),
      error: c.red('✗ error  '),
    };

    report.results.forEach((result, order) => {
      const defaults = describePatch(result.patch ?? []);
      const podDefaults = describePatch(result.pods?.patch ?? []);
      if (result.outcome === 'allowed' && result.violations.length === 0 && defaults.length === 0 && podDefaults.length === 0 && !options.verbose) return;
      const where = describePosition(result.source);
      const head = `  ${mark[result.outcome]}  ${c.bold(describeObject(result.object))}  ${c.dim(where)}`;
      const lines = [head];
      if (result.error) lines.push(`      ${c.red(indented(result.error, '      '))}`);
      if (defaults.length > 0) lines.push(`      ${c.cyan(`defaulted by PSP ${result.profile ?? '(none)'}`)}: ${defaults.join(', ')}`);
      else if (result.profile && options.verbose) lines.push(`      ${c.dim(`admitted by PSP ${result.profile} as it is`)}`);
      if (podDefaults.length > 0) lines.push(`      ${c.cyan(`its pods defaulted by PSP ${result.pods!.profile ?? '(none)'}`)}: ${podDefaults.join(', ')}`);
      else if (result.pods?.profile && options.verbose) lines.push(`      ${c.dim(`its pods admitted by PSP ${result.pods.profile} as they are`)}`);
      for (const v of result.violations) {
        const action = v.action === 'deny' ? c.red('deny  ') : v.action === 'warn' ? c.yellow('warn  ') : c.dim('dryrun');
        const at = v.path ? c.dim(` (${v.path}${v.line !== undefined ? `, line ${v.line}` : ''})`) : '';
        lines.push(`      ${action} ${c.cyan(v.policy)}: ${indented(v.message, '             ')}${at}`);
      }
      if (report.failOnWarn && result.outcome === 'warned' && isFailure(result, true)) lines.push(c.dim('      (warnings fail this run: --fail-on-warn)'));
      entriesOf(result.source.file).push({ line: result.source.line, order, lines });
    });
    report.problems.forEach((problem: InputProblem, i) => {
      const where = describePosition(problem);
      entriesOf(problem.file).push({
        line: problem.line ?? 0,
        order: report.results.length + i,
        lines: [`  ${c.red('✗ input error')}  ${where ? `${c.dim(where)}  ` : ''}${indented(problem.message, '      ')}`],
      });
    });

    (report.notes ?? []).forEach((note: InputNote, i) => {
      const where = describePosition(note);
      entriesOf(note.file).push({
        line: note.line ?? 0,
        order: report.results.length + report.problems.length + i,
        lines: [`  ${c.cyan('i note')}  ${where ? `${c.dim(where)}  ` : ''}${indented(note.message, '      ')}`],
      });
    });

    const out: string[] = [];
    for (const [file, entries] of byFile) {
      if (entries.length === 0) continue;
      entries.sort((a, b) => a.line - b.line || a.order - b.order);
      out.push(c.underline(file), ...entries.flatMap((e) => e.lines), '');
    }
    const failed = report.results.some((r) => isFailure(r, report.failOnWarn) || r.outcome === 'error') || report.problems.length > 0;
    out.push((failed ? c.red : c.green)(summaryLine(report)));
    return `${out.join('\n')}\n`;
  },
};
