import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');
// What start-up must not pay for unless the command runs: the server stack, the WASM SDK, the progress bar.
const heavy = ['express', 'pino', 'prom-client', 'selfsigned', 'chokidar', '@open-policy-agent/opa-wasm', 'cli-progress'];

// Preloaded into the process: on exit, prints which npm packages the CommonJS loader has loaded
// (each of the packages above is CommonJS, so each shows up there whether imported or required).
const hook = join(mkdtempSync(join(tmpdir(), 'wasmgate-startup-')), 'loaded.mjs');
writeFileSync(
  hook,
  `import { createRequire } from 'node:module';
import { writeSync } from 'node:fs';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const names = Object.keys(cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean);
  writeSync(2, 'LOADED ' + JSON.stringify([...new Set(names)]) + '\\n');
});
`,
);

function loadedBy(args: string[]): { code: number | null; stdout: string; loaded: string[] } {
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, ...args], { encoding: 'utf8', cwd: repoRoot });
  const line = /^LOADED (.*)$/m.exec(run.stderr)?.[1];
  return { code: run.status, stdout: run.stdout, loaded: line ? (JSON.parse(line) as string[]) : [] };
}

t.test('the probe sees the heavy packages when they are loaded', async (t) => {
  const { loaded } = loadedBy(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'server', 'server.js')).href)})`]);
  t.ok(loaded.includes('express') && loaded.includes('pino'), `loaded: ${loaded.join(' ')}`);
});

for (const args of [['--version'], ['--help'], ['serve', '--help'], ['eval', '--help'], ['test', '--help'], ['fmt', '--help'], ['verify', '--help']]) {
  t.test(`wasmgate ${args.join(' ')} loads none of the modules only a run needs`, async (t) => {
    const run = loadedBy([cli, ...args]);
    t.equal(run.code, 0);
    t.ok(run.stdout.length > 0);
    t.same(run.loaded.filter((name) => heavy.includes(name)), []);
  });
}
