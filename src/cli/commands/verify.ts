import { Option, type Command } from 'commander';
import { describeThrown } from '../../errors.js';
import type { SuiteResult, TestResult } from '../../gatekeeper/verify.js';
import { resolveOpa } from '../../toolchain/opa.js';
import { processIO, type CommandIO } from '../io.js';

interface VerifyFlags {
  output: 'text' | 'json';
  verbose?: boolean;
}

const exit = { ok: 0, failed: 1, usage: 2 } as const;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/** gator's Go-test-like lines: failing cases and tests (all of them with -v), then ok/FAIL per suite. */
function renderTest(test: TestResult, verbose: boolean): string {
  const ms = test.durationMs ?? 0;
  if (test.skipped) return verbose ? `=== SKIP  ${test.name}\n` : '';
  let out = verbose ? `=== RUN   ${test.name}\n` : '';
  for (const c of test.cases) {
    if (c.skipped) out += verbose ? `    === SKIP  ${c.name}\n` : '';
    else if (c.error !== undefined) out += `${verbose ? `    === RUN   ${c.name}\n` : ''}    --- FAIL: ${c.name}\t(${seconds(c.durationMs ?? 0)})\n${indent(c.error, '        ')}\n`;
    else if (verbose) out += `    === RUN   ${c.name}\n    --- PASS: ${c.name}\t(${seconds(c.durationMs ?? 0)})\n`;
  }
  const failed = test.error !== undefined || test.cases.some((c) => c.error !== undefined);
  if (failed) out += `--- FAIL: ${test.name}\t(${seconds(ms)})\n${test.error !== undefined ? `${indent(test.error, '  ')}\n` : ''}`;
  else if (verbose) out += `--- PASS: ${test.name}\t(${seconds(ms)})\n`;
  return out;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

function suiteFailed(suite: SuiteResult): boolean {
  return suite.tests.some((t) => t.error !== undefined || t.cases.some((c) => c.error !== undefined));
}

async function runVerify(paths: string[], flags: VerifyFlags, io: CommandIO): Promise<number> {
  // Loaded when suites run, so that --help and --version start fast.
  const { findSuites, SuiteRunner, totalsOf } = await import('../../gatekeeper/verify.js');
  const suites = await findSuites(paths.length > 0 ? paths : ['.']);
  if (suites.length === 0) {
    io.stderr.write(`wasmgate verify: no Suite files (kind: Suite, apiVersion: test.gatekeeper.sh/v1alpha1) under ${paths.join(', ') || '.'}\n`);
    return exit.usage;
  }
  const runner = new SuiteRunner({ opa: resolveOpa((line) => io.stderr.write(`wasmgate: ${line}\n`)), log: (line) => io.stderr.write(`wasmgate: ${line}\n`) });
  const results: SuiteResult[] = [];
  for (const suite of suites) {
    const started = performance.now();
    const result = await runner.run(suite);
    const ms = performance.now() - started;
    results.push(result);
    if (flags.output !== 'text') continue;
    let out = result.tests.map((t) => renderTest(t, Boolean(flags.verbose))).join('');
    out += result.skipped ? `skip\t${result.path}\n` : `${suiteFailed(result) ? 'FAIL' : 'ok'}\t${result.path}\t${seconds(ms)}\n`;
    io.stdout.write(out);
  }
  const totals = totalsOf(results);
  const failed = totals.failed > 0;
  if (flags.output === 'json') {
    io.stdout.write(`${JSON.stringify({ ...totals, suites: results }, null, 2)}\n`);
  } else {
    io.stdout.write(`${failed ? 'FAIL' : 'PASS'}\n${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}\n`);
  }
  return failed ? exit.failed : exit.ok;
}

export function registerVerify(program: Command, io: CommandIO = processIO): void {
  program
    .command('verify')
    .description("run gator Suite files (test.gatekeeper.sh/v1alpha1) on wasmgate's engine: each test's ConstraintTemplate and Constraint against its cases")
    .argument('[path...]', 'Suite files, or directories searched recursively (default: .)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'list every test and case, not only failures')
    .addHelpText(
      'after',
      `
Each case's object (or AdmissionReview) is reviewed with its inventory; assertions are
"violations: yes | no | N" and "message", an RE2 regular expression matched against each message.

Exit codes: 0 every case passed, 1 a case or test failed, 2 usage error or no Suite found.`,
    )
    .action(async (paths: string[], flags: VerifyFlags) => {
      try {
        io.setExitCode(await runVerify(paths, flags, io));
      } catch (err) {
        io.stderr.write(`wasmgate verify: ${describeThrown(err)}\n`);
        io.setExitCode(exit.usage);
      }
    });
}
