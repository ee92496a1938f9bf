import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { entrypoints } from '../../dist/engine/bundle.js';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');
const rules = Object.values(entrypoints).map((e) => `data.${e.replaceAll('/', '.')}`);

function wasmgate(args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input: '', env: { ...process.env, NO_COLOR: '1' } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

t.test('eval --help names every rule a --policy directory must define (the engine entrypoints)', async (t) => {
  const help = wasmgate(['eval', '--help']).stdout.replace(/\s+/g, ' ');
  for (const rule of rules) t.match(help, rule);
});

t.test('--policy DIR without the rules wasmgate evaluates: exit 2, naming each missing one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-no-entrypoints-'));
  writeFileSync(join(dir, 'main.rego'), 'package wasmgate.main\n\nallow := true\n');
  const run = wasmgate(['eval', '--policy', dir, '-']);
  t.equal(run.code, 2);
  t.match(run.stderr, `does not define ${rules.join(' and ')}.`);
  t.match(run.stderr, /A policy directory must define data\.wasmgate\.main\.decision/);
  t.match(run.stderr, /OPA entrypoints wasmgate\/main\/decision/);
});

t.test('--policy DIR missing one of them names only that one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-one-entrypoint-'));
  const defined = Object.values(entrypoints).filter((e) => !e.endsWith('/config_errors'));
  const rego = defined.map((e) => `${e.split('/').pop()} := {}`).join('\n\n');
  writeFileSync(join(dir, 'main.rego'), `package wasmgate.main\n\n${rego}\n`);
  const run = wasmgate(['eval', '--policy', dir, '-']);
  t.equal(run.code, 2);
  t.match(run.stderr, 'does not define data.wasmgate.main.config_errors. A policy directory');
});
