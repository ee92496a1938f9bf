import yaml from 'js-yaml';
import { describeObject } from '../admission/synthesize.js';
import type { Formatter } from './index.js';
import { describeSource, summaryLine, type Report } from './report.js';

/** A comment line of any text: newlines would end the comment. */
function comment(text: string): string {
  return `# ${text.replace(/\r?\n/g, ' ')}`;
}

/**
 * The objects as the API server would store them, PSP's defaults applied: a YAML stream to review or
 * to apply (`kubectl apply --dry-run=server -o yaml` for a whole directory, offline). Documents that are
 * denied or could not be decided are left out, each named in a comment where it would have been.
 */
export const yamlStream: Formatter = {
  name: 'yaml',
  description: 'the objects as they would be stored, defaults applied (denied ones left out)',
  format(report: Report): string {
    const documents: string[] = [];
    let pending: string[] = [];
    for (const result of report.results) {
      const where = `${describeObject(result.object)} at ${describeSource(result.source)}`;
      if (result.outcome === 'denied' || result.outcome === 'error' || !result.stored) {
        const why = result.outcome === 'denied' ? 'denied' : result.outcome === 'error' ? 'not decided' : 'nothing stored';
        pending.push(comment(`${where}: ${why}, left out`));
        continue;
      }
      const head =
        result.patch && result.patch.length > 0
          ? `${where}: defaulted by PSP ${result.profile ?? '(none)'}`
          : result.pods && result.pods.patch.length > 0
            ? `${where}: its pods will be defaulted by PSP ${result.pods.profile ?? '(none)'}`
            : where;
      documents.push([...pending, comment(head), yaml.dump(result.stored, { noRefs: true, lineWidth: -1 }).trimEnd()].join('\n'));
      pending = [];
    }
    for (const problem of report.problems) pending.push(comment(`input error: ${describeSource(problem)}: ${problem.message}`));
    pending.push(comment(summaryLine(report)));
    documents.push(pending.join('\n'));
    return `${documents.join('\n---\n')}\n`;
  },
};
