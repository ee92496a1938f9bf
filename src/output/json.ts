import type { Formatter } from './index.js';
import { exitCodeOf, summarize, type Report } from './report.js';

/** For programs: the whole report as one JSON document (format version 1). */
export const json: Formatter = {
  name: 'json',
  description: 'one JSON document: summary, results (with each patch and PSP), input errors',
  format(report: Report): string {
    const counts = summarize(report);
    const document = {
      version: 1,
      // `errors` counts what the `errors` list holds (input errors); documents the policy could not
      // decide are `evaluationErrors`, results with outcome "error".
      summary: {
        files: counts.files,
        documents: counts.documents,
        allowed: counts.allowed,
        warned: counts.warned,
        denied: counts.denied,
        errors: counts.problems,
        evaluationErrors: counts.errors,
        notes: report.notes?.length ?? 0,
        failOnWarn: report.failOnWarn,
        exitCode: exitCodeOf(report),
      },
      results: report.results.map((r) => ({
        file: r.source.file,
        line: r.source.line,
        document: r.source.document,
        ...(r.source.item !== undefined ? { item: r.source.item } : {}),
        kind: r.object.kind,
        ...(r.object.namespace !== undefined ? { namespace: r.object.namespace } : {}),
        name: r.object.name,
        outcome: r.outcome,
        allowed: r.outcome !== 'denied' && r.outcome !== 'error',
        violations: r.violations,
        patch: r.patch ?? [],
        profile: r.profile ?? null,
        ...(r.pods ? { pods: { patch: r.pods.patch, profile: r.pods.profile } } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
      })),
      errors: report.problems,
      notes: report.notes ?? [],
    };
    return `${JSON.stringify(document, null, 2)}\n`;
  },
};
