// The peers and helper programs, built from the Go module proxy (never downloaded as binaries):
// OPA through the project's own resolver (scripts/opa/go.mod), and conftest, vegeta and the bench's two
// small Go helpers through scripts/bench/go.mod. Binaries go to .cache/bench/, named by version, so a
// second run reuses them.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { benchDir, cacheDir, root } from './paths.mjs';

const goMod = join(benchDir, 'go.mod');

export function findGo() {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (existsSync(join(dir, 'go'))) return join(dir, 'go');
  }
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/** The version scripts/bench/go.mod pins for a module. */
export function pinnedVersion(module) {
  const text = readFileSync(goMod, 'utf8');
  const match = new RegExp(`^\\s*${module.replace(/[.]/g, '\\.')} (v\\S+)`, 'm').exec(text);
  if (!match) throw new Error(`${goMod} does not pin ${module}`);
  return match[1];
}

const tools = {
  conftest: { pkg: 'github.com/open-policy-agent/conftest', module: 'github.com/open-policy-agent/conftest' },
  vegeta: { pkg: 'github.com/tsenart/vegeta/v12', module: 'github.com/tsenart/vegeta/v12' },
  opaload: { pkg: './cmd/opaload', source: ['cmd/opaload/main.go', 'go.sum'] },
  rusage: { pkg: './cmd/rusage', source: ['cmd/rusage/main.go'] },
};

function toolVersion(name) {
  const tool = tools[name];
  if (tool.module) return pinnedVersion(tool.module);
  const hash = createHash('sha256');
  for (const file of tool.source) hash.update(readFileSync(join(benchDir, file)));
  return hash.digest('hex').slice(0, 10);
}

const built = new Map();

/**
 * The path of a bench tool, building it with Go on first use. Throws with a clear message when Go is
 * missing (the caller turns that into a skipped workload).
 */
export function tool(name, log = console.error) {
  if (built.has(name)) return built.get(name);
  const version = toolVersion(name);
  const path = join(cacheDir, `${name}-${version}`);
  if (!existsSync(path)) {
    const go = findGo();
    if (!go) throw new Error(`Go is needed to build ${name} ${version} from the Go module proxy (install Go 1.26 or newer)`);
    mkdirSync(cacheDir, { recursive: true });
    log(`building ${name} ${version} with ${go} (first time only)`);
    const started = Date.now();
    const partial = `${path}.partial-${process.pid}`;
    execFileSync(go, ['build', '-o', partial, tools[name].pkg], {
      cwd: benchDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    });
    renameSync(partial, path);
    log(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const entry = { name, version, path };
  built.set(name, entry);
  return entry;
}

/**
 * Like tool(), but returns {skipped: reason} instead of throwing; with `build: false` only a binary
 * built earlier is used (the smoke test must not wait for Go to compile OPA's library).
 */
export function tryTool(name, log, { build = true } = {}) {
  try {
    if (!build) {
      const version = toolVersion(name);
      const path = join(cacheDir, `${name}-${version}`);
      return existsSync(path) ? { name, version, path } : { skipped: `${name} not built yet (a full or --quick run builds it)` };
    }
    return tool(name, log);
  } catch (err) {
    return { skipped: `${name} unavailable: ${err.message}` };
  }
}

/** The pinned OPA (the same binary `npm run build` uses). */
export async function opa(log = console.error) {
  const { resolveOpa } = await import(join(root, 'dist', 'toolchain', 'opa.js'));
  const found = resolveOpa(log);
  return { name: 'opa', version: found.version, path: found.path };
}
