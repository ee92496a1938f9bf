import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';

// Gatekeeper's gator, the reference wasmgate's Gatekeeper support is tested against. Pinned as a Go
// tool dependency (scripts/gator/go.mod), built with the machine's Go into .cache/gator/, never downloaded.

const goModulePath = join(packageRoot, 'scripts', 'gator', 'go.mod');
const gatorModule = 'github.com/open-policy-agent/gatekeeper/v3';

export function pinnedGatorVersion(): string {
  const match = /^\s*github\.com\/open-policy-agent\/gatekeeper\/v3 v(\S+)/m.exec(readFileSync(goModulePath, 'utf8'));
  if (!match?.[1]) throw new WasmgateError('OPA_NOT_FOUND', `${goModulePath} does not pin ${gatorModule}`);
  return match[1];
}

/** `$GATOR`, else the binary built earlier into .cache/gator/, else builds the pinned module (minutes, once). */
export function resolveGator(log: (line: string) => void = () => {}): string {
  if (process.env.GATOR) return process.env.GATOR;
  const version = pinnedGatorVersion();
  const cached = join(packageRoot, '.cache', 'gator', `gator-v${version}`);
  if (existsSync(cached)) return cached;
  const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  log(`building gator v${version} with ${go} from the Go module proxy (first time only; a few minutes)`);
  mkdirSync(dirname(cached), { recursive: true });
  const partial = `${cached}.partial-${process.pid}`;
  try {
    execFileSync(go, ['build', '-p', '1', '-o', partial, `${gatorModule}/cmd/gator`], {
      cwd: dirname(goModulePath),
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    });
  } catch (err) {
    throw new WasmgateError('OPA_FAILED', `go build of gator v${version} failed (see the Go output above)`, { cause: err });
  }
  renameSync(partial, cached);
  return cached;
}
