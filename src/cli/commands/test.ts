import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { describeThrown } from '../../errors.js';
import { processIO, useColor, type CommandIO } from '../io.js';

interface TestFlags {
  policies: string;
  fixtures: string[];
  /** The fixtures/ directories beside the policies (policies/<family>/<name>/fixtures); off with --no-fixtures. */
  policyFixtures: boolean;
  coverage: number;
  workers?: number;
  gatekeeper: string[];
  run?: string;
}

const usageExit = 2;
const defaultFixtures = 'test/fixtures';
/** The default list, told apart from a list the user gave (the first --fixtures replaces it). */
const defaultFixturesList: string[] = [defaultFixtures];

function percent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('expected a percentage from 0 to 100.');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1.');
  return n;
}

function regularExpression(value: string): string {
  try {
    new RegExp(value);
  } catch (err) {
    throw new InvalidArgumentError(`not a regular expression: ${(err as Error).message}.`);
  }
  return value;
}

async function runTest(flags: TestFlags, fixturesGiven: boolean, io: CommandIO): Promise<number> {
  const policiesDir = resolve(flags.policies);
  if (!existsSync(policiesDir) || !statSync(policiesDir).isDirectory()) {
    io.stderr.write(`wasmgate test: the policy directory ${flags.policies} does not exist (give one with --policies)\n`);
    return usageExit;
  }
  let fixtures = flags.fixtures;
  if (!fixturesGiven && !existsSync(defaultFixtures)) fixtures = [];
  const log = (line: string) => io.stderr.write(`wasmgate: ${line}\n`);
  // Loaded when the tests run, so that --help and --version start fast.
  const [{ harnessExitCode, runPolicyTests }, { renderHarnessReport }, { outputDirFor }] = await Promise.all([
    import('../../harness/index.js'),
    import('../../harness/render.js'),
    import('../policy-source.js'),
  ]);
  const out = outputDirFor(policiesDir);
  let report;
  try {
    report = await runPolicyTests({
      policiesDir,
      outDir: out.dir,
      fixtures,
      policyFixtures: flags.policyFixtures,
      coverage: flags.coverage,
      ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
      gatekeeper: flags.gatekeeper,
      ...(flags.run !== undefined ? { run: flags.run } : {}),
      log,
    });
  } finally {
    out.dispose();
  }
  io.stdout.write(renderHarnessReport(report, { color: useColor(io) }));
  return harnessExitCode(report);
}

export function registerTest(program: Command, io: CommandIO = processIO): void {
  program
    .command('test')
    .description('test policies: Rego unit tests with OPA (with a coverage floor), the same tests on the WASM engine, and fixtures with expectations')
    .option('--policies <dir>', 'directory of .rego policies, their *_test.rego tests and data.yaml', 'policies')
    .option(
      '--fixtures <path>',
      `fixture file or directory, besides the fixtures/ directories under --policies (repeatable; default ${defaultFixtures} when it exists)`,
      (path: string, all: string[]) => (all === defaultFixturesList ? [path] : [...all, path]),
      defaultFixturesList,
    )
    .option('--no-fixtures', 'skip the fixture stages (also the fixtures/ directories beside the policies)')
    .addOption(new Option('--coverage <percent>', 'minimum coverage of the policy files (0 turns the check off)').default(95).argParser(percent))
    .addOption(new Option('--workers <n>', 'engine worker threads for the fixtures').argParser(positiveInteger))
    .option('--gatekeeper <path>', 'also run the gator Suites (Gatekeeper templates\' tests) under this path (repeatable)', (p: string, all: string[]) => [...all, p], [] as string[])
    .addOption(
      new Option(
        '--run <pattern>',
        'run only what this regular expression matches: Rego tests by name (data.<package>.<test>, as opa test --run), fixtures by file path or object (Kind namespace/name); coverage is then not measured',
      ).argParser(regularExpression),
    )
    .addHelpText(
      'after',
      `
Fixtures are YAML manifests with their expected outcome in comment lines right above each document:
  # expect: allow | deny | warn
  # expect-violation: <policy id>: <message substring>      (repeatable)
  # operation: UPDATE   # user: alice   # groups: a, b   # namespace: x      (optional)

Exit codes: 0 everything passed, 1 a test, fixture or parity check failed, 2 usage error or unusable fixtures.`,
    )
    .action(async (flags: Omit<TestFlags, 'fixtures' | 'policyFixtures'> & { fixtures: string[] | false }, command: Command) => {
      try {
        const fixturesGiven = command.getOptionValueSource('fixtures') === 'cli';
        io.setExitCode(await runTest({ ...flags, fixtures: flags.fixtures === false ? [] : flags.fixtures, policyFixtures: flags.fixtures !== false }, fixturesGiven, io));
      } catch (err) {
        io.stderr.write(`wasmgate test: ${describeThrown(err)}\n`);
        io.setExitCode(usageExit);
      }
    });
}
