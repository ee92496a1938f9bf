import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readBundleFiles } from '../engine/bundle.js';
import { loadBundle, type PolicyBundle } from '../engine/index.js';
import { describeThrown, WasmgateError } from '../errors.js';
import { replaceBundleFile } from '../toolchain/bundle-archive.js';
import { inDirectory, opaMessage, policyDirIgnores, runOpa, type OpaTool } from '../toolchain/opa.js';
import { optimiseWasm, resolveWasmOpt, type WasmOptTool } from '../toolchain/wasm-opt.js';
import type { TestWorkerInit, TestWorkerReply } from './wasm-test-worker.js';

/** How one Rego test ended. OPA passes a test only when its rule's value is exactly true. */
export type TestOutcome = 'pass' | 'fail' | 'error' | 'skip';

export interface RegoTest {
  /** "data.wasmgate.main_test" */
  readonly package: string;
  /** "test_x", or "test_x#01" for the second rule of that name. */
  readonly name: string;
  readonly file: string;
  readonly row: number;
  readonly outcome: TestOutcome;
  readonly error?: string;
  /** For a failed test: OPA's explanation, the expression that failed with the values involved. */
  readonly explanation?: readonly string[];
}

interface OpaTestJson {
  location?: { file?: string; row?: number };
  package: string;
  name: string;
  fail?: boolean;
  skip?: boolean;
  error?: unknown;
}

/**
 * The deadline of one Rego test in `opa test`. OPA's default, 5 s, is a clock that the heavier tests
 * (those evaluating many reviews, slower still under --coverage) overrun on a loaded machine; a test
 * that never ends is still reported as an error.
 */
const opaTestTimeout = ['--timeout', '60s'];

/**
 * `opa test` on the Rego sources: every test with its outcome (todo_ tests are skips); with `only`,
 * just the tests whose name (data.pkg.test_x) matches that regular expression (`opa test --run`).
 */
export async function runOpaTests(opa: OpaTool, policiesDir: string, only?: string): Promise<RegoTest[]> {
  const run = await runOpa(opa, ['test', '--format', 'json', '--exit-zero-on-skipped', ...opaTestTimeout, ...policyDirIgnores, ...(only !== undefined ? ['--run', only] : []), policiesDir]);
  let parsed: OpaTestJson[];
  try {
    parsed = JSON.parse(run.stdout) as OpaTestJson[];
    if (!Array.isArray(parsed)) throw new Error('not an array');
  } catch {
    throw new WasmgateError('OPA_FAILED', `opa test could not run the tests:\n${opaMessage(run)}`);
  }
  const tests: RegoTest[] = parsed.map((t) => ({
    package: t.package,
    name: t.name,
    file: t.location?.file ?? '',
    row: t.location?.row ?? 0,
    outcome: t.skip ? 'skip' : t.error ? 'error' : t.fail ? 'fail' : 'pass',
    ...(t.error ? { error: describeThrown(t.error) } : {}),
  }));
  const failed = tests.filter((t) => t.outcome === 'fail');
  if (failed.length === 0) return tests;
  const explained = await explainFailures(opa, policiesDir, failed);
  return tests.map((t) => {
    const explanation = t.outcome === 'fail' ? explained.get(`${t.package}.${t.name}`) : undefined;
    return explanation ? { ...t, explanation } : t;
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * OPA's own account of why tests failed (`opa test --var-values`: the failing expression, each term
 * with its value), read from its text report, which is the only one that carries it in a readable
 * form. Keyed by "data.pkg.test_name".
 */
async function explainFailures(opa: OpaTool, policiesDir: string, failed: readonly RegoTest[]): Promise<Map<string, string[]>> {
  const names = [...new Set(failed.map((t) => escapeRegExp(`${t.package}.${t.name.replace(/#\d+$/, '')}`)))];
  const run = await runOpa(opa, ['test', '--var-values', ...opaTestTimeout, ...policyDirIgnores, '--run', `^(${names.join('|')})$`, policiesDir]);
  const explained = new Map<string, string[]>();
  const lines = run.stdout.split('\n');
  const start = lines.indexOf('FAILURES');
  if (start < 0) return explained;
  let current: string[] | undefined;
  for (const line of lines.slice(start + 2)) {
    if (/^-{20,}$/.test(line)) break;
    const heading = /^(data\.\S+): FAIL\b/.exec(line);
    if (heading) {
      current = [];
      explained.set(heading[1]!, current);
    } else if (current && line.trim() !== '') {
      const text = line.replace(/^ {2}/, '').replace(/^( *)\t/, '$1');
      current.push(text.replace(/^(\/\S+\.rego)(?=:\d+:$)/, (file) => relative(process.cwd(), file)));
    }
  }
  return explained;
}

export interface Coverage {
  /** Percent of the policy lines (test files left out) that the tests evaluate. */
  readonly percent: number;
  readonly files: readonly { file: string; percent: number; notCovered: readonly string[] }[];
}

interface CoverageJson {
  files?: Record<string, { covered_lines?: number; not_covered_lines?: number; not_covered?: { start: { row: number }; end: { row: number } }[] }>;
}

/**
 * `opa test --coverage`, summed over the policy files (not the *_test.rego files). Without OPA's
 * supplementary passes (`--coverage-runs=`): they only label uncovered ranges with a kind, which is not
 * read here, and ran the tests twice more (on policies/, 10.5 s against 3.4).
 */
export async function opaCoverage(opa: OpaTool, policiesDir: string): Promise<Coverage> {
  const run = await runOpa(opa, ['test', '--coverage', '--coverage-runs=', '--format', 'json', '--exit-zero-on-skipped', ...opaTestTimeout, ...policyDirIgnores, policiesDir]);
  let parsed: CoverageJson;
  try {
    parsed = JSON.parse(run.stdout) as CoverageJson;
  } catch {
    // OPA reports coverage only when every test passes; otherwise it prints the failures.
    if (/\bFAIL\b|\bERROR\b/.test(run.stdout + run.stderr)) {
      throw new WasmgateError('OPA_FAILED', 'not measured: OPA reports coverage only when every Rego test passes (see the failures above)');
    }
    throw new WasmgateError('OPA_FAILED', `opa test --coverage failed:\n${opaMessage(run)}`);
  }
  let covered = 0;
  let total = 0;
  const files = Object.entries(parsed.files ?? {})
    .filter(([file]) => !file.endsWith('_test.rego'))
    .map(([file, f]) => {
      const yes = f.covered_lines ?? 0;
      const no = f.not_covered_lines ?? 0;
      covered += yes;
      total += yes + no;
      const notCovered = (f.not_covered ?? []).map((r) => (r.start.row === r.end.row ? `${r.start.row}` : `${r.start.row}-${r.end.row}`));
      return { file, percent: yes + no === 0 ? 100 : (100 * yes) / (yes + no), notCovered: [...new Set(notCovered)] };
    })
    .sort((a, b) => a.percent - b.percent || a.file.localeCompare(b.file));
  return { percent: total === 0 ? 0 : (100 * covered) / total, files };
}

/** `data.wasmgate.main_test` + `test_x` → `wasmgate/main_test/test_x` (quoted segments as written). */
export function testEntrypoint(test: Pick<RegoTest, 'package' | 'name'>): string {
  const segments = [...test.package.replace(/^data\.?/, '').matchAll(/([^.[\]]+)|\["((?:[^"\\]|\\.)*)"\]/g)].map((m) => m[1] ?? m[2] ?? '');
  return [...segments, test.name].join('/');
}

export interface WasmTestResult {
  readonly outcome: Exclude<TestOutcome, 'skip'>;
  /** The rule's value (or "undefined"), or the error. */
  readonly detail: string;
}

/** Longest a Rego test may run on the WASM engine before it fails (OPA's own test timeout is 5 s). */
export const wasmTestTimeoutMs = 10_000;

const testWorkerUrl = new URL('./wasm-test-worker.js', import.meta.url);

/**
 * Runs entrypoints one at a time on a worker thread, each within `timeoutMs`: one that overruns is an
 * error naming the deadline, its thread is stopped and the next test runs on a fresh one.
 */
async function runEntrypoints(bundle: PolicyBundle, entrypoints: readonly string[], timeoutMs: number): Promise<Map<string, WasmTestResult>> {
  const init: TestWorkerInit = { module: bundle.module, memoryMinPages: bundle.memoryMinPages, data: bundle.data };
  const results = new Map<string, WasmTestResult>();
  const start = () =>
    new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(testWorkerUrl, { workerData: init, execArgv: [] });
      worker.once('message', () => resolve(worker));
      worker.once('error', reject);
    });
  let worker = await start();
  try {
    for (const entrypoint of entrypoints) {
      const result = await new Promise<WasmTestResult | undefined>((resolve, reject) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        const settle = (value: WasmTestResult | Error) => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', settle);
          if (value instanceof Error) reject(value);
          else resolve(value);
        };
        const onMessage = (reply: TestWorkerReply) => settle({ outcome: reply.outcome, detail: reply.detail });
        worker.on('message', onMessage);
        worker.once('error', settle);
        worker.postMessage(entrypoint);
      });
      if (result) {
        results.set(entrypoint, result);
        continue;
      }
      results.set(entrypoint, { outcome: 'error', detail: `the WASM evaluation did not finish within its deadline of ${timeoutMs} ms and was stopped` });
      await worker.terminate();
      worker = await start();
    }
  } finally {
    await worker.terminate();
  }
  return results;
}

/**
 * Compiles the Rego tests to WebAssembly (each test rule an entrypoint, against the engine's
 * capabilities), optimised by wasm-opt as the build's policy is, so that they test the optimiser's
 * output as production runs it, and runs each on a WasmPolicy, as `opa test` would: input undefined,
 * the policy data loaded, each within `timeoutMs` (a test that never returns on WASM fails, named,
 * instead of hanging the run). A test whose rule has several definitions cannot be run alone and is left out.
 */
export async function runTestsOnWasm(
  opa: OpaTool,
  policiesDir: string,
  tests: readonly RegoTest[],
  capabilitiesFile: string,
  timeoutMs: number = wasmTestTimeoutMs,
  wasmOpt: WasmOptTool = resolveWasmOpt(),
): Promise<Map<string, WasmTestResult>> {
  const runnable = tests.filter((t) => t.outcome !== 'skip' && !t.name.includes('#'));
  const results = new Map<string, WasmTestResult>();
  if (runnable.length === 0) return results;
  // Sorted: opa test reports in no fixed order, and the same entrypoints in the same order compile to the
  // same module, which wasm-opt's cache then recognises (built in the directory on `.`, as the policy is).
  const entrypoints = [...new Set(runnable.map(testEntrypoint))].sort();
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-regotests-'));
  try {
    const bundleFile = join(dir, 'tests.tar.gz');
    const build = await runOpa(opa, [
      'build', '-t', 'wasm', '--capabilities', resolve(capabilitiesFile), ...policyDirIgnores,
      ...entrypoints.flatMap((e) => ['-e', e]),
      '-o', bundleFile, '.',
    ], policiesDir);
    if (build.exitCode !== 0) {
      throw new WasmgateError('OPA_FAILED', `the Rego tests could not be compiled to WebAssembly:\n${inDirectory(opaMessage(build), policiesDir)}`);
    }
    const compiled = (await readBundleFiles(bundleFile, ['policy.wasm'])).get('policy.wasm');
    if (!compiled) throw new WasmgateError('OPA_FAILED', `opa build wrote no policy.wasm for the Rego tests into ${bundleFile}`);
    await replaceBundleFile(bundleFile, 'policy.wasm', await optimiseWasm(compiled, 'the Rego tests compiled to WebAssembly', { tool: wasmOpt }));
    return await runEntrypoints(await loadBundle(bundleFile), entrypoints, timeoutMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "policies/x_test.rego:12", relative to the directory the run started in. */
export function testLocation(test: RegoTest, cwd = process.cwd()): string {
  const file = test.file.startsWith('/') ? relative(cwd, test.file) : test.file;
  return `${file}:${test.row}`;
}
