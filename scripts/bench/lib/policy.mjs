// The one policy every peer runs: the Rego of policies/ (without its *_test.rego) and wasm/data.json,
// exactly what `npm run build` compiled to WASM just before, copied for the topdown peers, plus the
// thin adapters. (The bundle's own modules are OPA's optimised rewrite for the WASM target, without
// the entrypoint rules, so topdown cannot use them.)
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { benchDir, root, workDir } from './paths.mjs';

function regoFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return regoFiles(path);
    return name.endsWith('.rego') && !name.endsWith('_test.rego') ? [path] : [];
  });
}

/**
 * Lays out <work>/policy: `rego/` (the modules), `data/data.json` (the data), and `opa-server/`,
 * `conftest/` (each peer's adapter). Returns those directories.
 */
export function preparePolicy() {
  const dir = join(workDir, 'policy');
  rmSync(dir, { recursive: true, force: true });
  const source = join(root, 'policies');
  const rego = join(dir, 'rego');
  mkdirSync(rego, { recursive: true });
  const files = regoFiles(source);
  for (const file of files) {
    const target = join(rego, relative(source, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  cpSync(join(root, 'wasm', 'data.json'), join(data, 'data.json'));
  const opaServer = join(dir, 'opa-server');
  const conftest = join(dir, 'conftest');
  cpSync(join(benchDir, 'adapters', 'opa-server'), opaServer, { recursive: true });
  cpSync(join(benchDir, 'adapters', 'conftest'), conftest, { recursive: true });
  return { rego, data, dataFile: join(data, 'data.json'), opaServer, conftest, modules: files.length };
}
