import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './policies.js';

const moduleDir = join(repoRoot, 'scripts', 'kubectl-yaml');

function findGo(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'go'))) return join(dir, 'go');
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/**
 * scripts/kubectl-yaml (kubectl's own manifest decoder, pinned in its go.mod) built with the machine's
 * Go into .cache/, keyed by its sources and the Go version; undefined without Go.
 */
export function kubectlYamlTool(): string | undefined {
  const go = findGo();
  if (!go) return undefined;
  const goVersion = execFileSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const key = createHash('sha256');
  for (const name of ['go.mod', 'go.sum', 'main.go']) key.update(readFileSync(join(moduleDir, name)));
  const binary = join(repoRoot, '.cache', 'kubectl-yaml', `${key.update(goVersion).digest('hex').slice(0, 16)}`, 'kubectl-yaml');
  if (existsSync(binary)) return binary;
  mkdirSync(join(binary, '..'), { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  execFileSync(go, ['build', '-p', '1', '-o', partial, '.'], { cwd: moduleDir, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CGO_ENABLED: '0' } });
  renameSync(partial, binary);
  return binary;
}

export type KubectlReading = { documents: unknown[] } | { error: string };

/** How kubectl reads each file: its documents as JSON, or its error. */
export function kubectlReads(tool: string, files: readonly string[]): KubectlReading[] {
  const run = spawnSync(tool, [...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl-yaml failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line) as KubectlReading);
}
