import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { basename, delimiter, dirname, join } from 'node:path';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';

/** The Go module linking Kubernetes v1.24.17's PodSecurityPolicy plugin (scripts/psp/). */
export const pspOracleModuleDir = join(packageRoot, 'scripts', 'psp');
const mainPackage = './cmd/psporacle';

function findGo(): string {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'go'))
    .find((candidate) => existsSync(candidate));
  const go = onPath ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new WasmgateError('PSP_ORACLE_FAILED', 'the PSP oracle is built from scripts/psp with Go 1.26 or newer; no go is on PATH');
  }
  return go;
}

function goSources(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.go'))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * The cache key: go.mod, go.sum, the oracle's own sources and the Go version, so any change to what
 * the binary is made of builds a new one.
 */
function cacheKey(go: string): string {
  const hash = createHash('sha256');
  for (const file of [join(pspOracleModuleDir, 'go.mod'), join(pspOracleModuleDir, 'go.sum'), ...goSources(join(pspOracleModuleDir, mainPackage))]) {
    hash.update(file.slice(pspOracleModuleDir.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(execFileSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim());
  return hash.digest('hex').slice(0, 16);
}

/**
 * The oracle binary: `$WASMGATE_PSP_ORACLE` if set, else the one cached in .cache/psp/<key>/, else
 * built there from the pinned module with the machine's Go (`-p 1`: the build is large, about 4
 * minutes on a cold Go cache, and shares the machine), removing those of other keys. Never downloads
 * a binary.
 */
export function resolvePspOracle(log: (line: string) => void = () => {}): string {
  const fromEnv = process.env.WASMGATE_PSP_ORACLE;
  if (fromEnv) return fromEnv;
  const go = findGo();
  const binary = join(packageRoot, '.cache', 'psp', cacheKey(go), 'psporacle');
  if (existsSync(binary)) return binary;
  log(`building the PSP oracle (Kubernetes v1.24.17's PodSecurityPolicy plugin) with ${go}; first time only, about 4 minutes`);
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  try {
    execFileSync(go, ['build', '-p', '1', '-o', partial, mainPackage], {
      cwd: pspOracleModuleDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    });
  } catch (err) {
    throw new WasmgateError('PSP_ORACLE_FAILED', 'go build of the PSP oracle failed (see the Go output above)', { cause: err });
  }
  renameSync(partial, binary);
  // Binaries of earlier keys are not used again (each is ~50 MB).
  const keys = dirname(dirname(binary));
  for (const entry of readdirSync(keys)) {
    if (entry !== basename(dirname(binary))) rmSync(join(keys, entry), { recursive: true, force: true });
  }
  return binary;
}

/**
 * A running oracle: `ask` writes one case line and resolves with its answer line. Answers come back
 * in order, so pending requests are a queue.
 */
export class PspOracleProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private stderr = '';
  private failure: Error | undefined;

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.pending.shift()?.resolve(line));
    const fail = (why: string) => {
      this.failure ??= new WasmgateError('PSP_ORACLE_FAILED', `the PSP oracle ${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      for (const p of this.pending.splice(0)) p.reject(this.failure);
    };
    this.child.on('error', (err) => fail(`could not run (${err.message})`));
    this.child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${String(code)}`})`));
  }

  ask(line: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (line.includes('\n')) return Promise.reject(new WasmgateError('INPUT_INVALID', 'a protocol line must not contain a newline'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** Ends stdin and waits for the process to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
