import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';

const execFileAsync = promisify(execFile);

const goModulePath = join(packageRoot, 'scripts', 'opa', 'go.mod');
const opaModule = 'github.com/open-policy-agent/opa';

export interface OpaTool {
  readonly path: string;
  /** The version the binary reports, e.g. "1.22.3". */
  readonly version: string;
  /** How it was found, for messages: "$OPA", "PATH", "cache" or "built". */
  readonly source: 'env' | 'path' | 'cache' | 'built';
}

/** The pinned OPA version, read from the Go module that pins it (the one source of truth). */
export function pinnedOpaVersion(): string {
  const goMod = readFileSync(goModulePath, 'utf8');
  const match = new RegExp(`^\\s*${opaModule.replace(/\./g, '\\.')} v(\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new WasmgateError('OPA_NOT_FOUND', `${goModulePath} does not pin ${opaModule}`);
  return match[1];
}

export function reportedVersion(binary: string): string | undefined {
  try {
    const out = execFileSync(binary, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /^Version:\s*(\S+)/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

function findOnPath(name: string): string[] {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .filter((candidate) => existsSync(candidate));
}

function cachedBinaryPath(version: string): string {
  return join(packageRoot, '.cache', 'opa', `opa-v${version}`);
}

/**
 * Finds the OPA binary the build and the policy tests use, in this order: `$OPA`; an `opa` on PATH
 * of exactly the pinned version; the binary built earlier into `.cache/opa/`; else builds the pinned
 * module with the machine's Go (its module and build caches make later builds fast). Never downloads.
 */
export function resolveOpa(log: (line: string) => void = () => {}): OpaTool {
  const pinned = pinnedOpaVersion();
  const fromEnv = process.env.OPA;
  if (fromEnv) {
    const version = reportedVersion(fromEnv);
    if (!version) throw new WasmgateError('OPA_NOT_FOUND', `OPA=${fromEnv} is set, but it does not run as "opa version"`);
    if (version !== pinned) log(`note: OPA=${fromEnv} is version ${version}; wasmgate pins ${pinned}`);
    return { path: fromEnv, version, source: 'env' };
  }
  for (const candidate of findOnPath('opa')) {
    if (reportedVersion(candidate) === pinned) return { path: candidate, version: pinned, source: 'path' };
  }
  const cached = cachedBinaryPath(pinned);
  if (existsSync(cached) && reportedVersion(cached) === pinned) return { path: cached, version: pinned, source: 'cache' };

  const go = findOnPath('go')[0] ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new WasmgateError(
      'OPA_NOT_FOUND',
      `wasmgate needs OPA v${pinned} to compile its policies. Install Go 1.26 or newer (wasmgate then builds ` +
        `OPA v${pinned} from the Go module proxy by itself), or put an opa v${pinned} binary on PATH, or set OPA=/path/to/opa.`,
    );
  }
  log(`building OPA v${pinned} with ${go} from the Go module proxy (first time only, about 1.5 minutes)`);
  mkdirSync(dirname(cached), { recursive: true });
  const partial = `${cached}.partial-${process.pid}`;
  try {
    execFileSync(go, ['build', '-o', partial, opaModule], {
      cwd: dirname(goModulePath),
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    });
  } catch (err) {
    throw new WasmgateError('OPA_FAILED', `go build of OPA v${pinned} failed (see the Go output above)`, { cause: err });
  }
  renameSync(partial, cached);
  return { path: cached, version: pinned, source: 'built' };
}

/**
 * What OPA must not load from a policy directory: the fixtures beside each policy
 * (policies/<family>/<name>/fixtures/*.yaml) are manifests, which OPA would read as data.
 */
export const policyDirIgnores: readonly string[] = ['--ignore', 'fixtures'];

export interface OpaRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs OPA and returns its output whatever the exit code; callers decide what a failure means. */
export async function runOpa(opa: OpaTool, args: readonly string[], cwd = packageRoot): Promise<OpaRun> {
  try {
    const { stdout, stderr } = await execFileAsync(opa.path, [...args], { cwd, maxBuffer: 256 * 1024 * 1024 });
    return { stdout, stderr, exitCode: 0 };
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string; code?: number | string };
    if (typeof failed.code !== 'number') {
      throw new WasmgateError('OPA_FAILED', `could not run ${opa.path}: ${String(failed.code ?? err)}`, { cause: err });
    }
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', exitCode: failed.code };
  }
}

/**
 * OPA's message about files it was given relative to `dir` (a build run there with `.`), with those
 * files named by their full path again, as `opa check` names them.
 */
export function inDirectory(message: string, dir: string): string {
  return message.replace(/(?<![\w./-])((?:[\w.-]+\/)*[\w.-]+\.rego)(?=:\d)/g, (file) => join(dir, file));
}

/** What OPA said about a failed run: some commands (build) print errors on stdout, others on stderr. */
export function opaMessage(run: OpaRun): string {
  return [run.stderr, run.stdout]
    .map((text) => text.trim())
    .filter(Boolean)
    .join('\n');
}
