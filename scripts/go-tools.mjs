#!/usr/bin/env node
// Builds the pinned Go tools the tests run (each cached by its go.mod/go.sum and the Go version, so a
// warm run finds them all at once). On a cold machine they are minutes of `go build -p 1` each, mostly
// on one core: two lanes side by side use both cores. The cluster binaries, the longest, have a lane of
// their own. Exits non-zero, naming the tool, when any build fails.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const scripts = join(fileURLToPath(import.meta.url), '..');
const lanes = [['cluster.mjs'], ['psp-oracle.mjs', 'gator.mjs']];

function build(script) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(scripts, script)], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code, signal) => resolve(code === 0 ? undefined : `${script} failed (exit ${code ?? signal})`));
  });
}

const failures = (
  await Promise.all(
    lanes.map(async (lane) => {
      const failed = [];
      for (const script of lane) {
        const failure = await build(script);
        if (failure) failed.push(failure);
      }
      return failed;
    }),
  )
).flat();
for (const failure of failures) console.error(`go tools: ${failure}`);
process.exit(failures.length === 0 ? 0 : 1);
