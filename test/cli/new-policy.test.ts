import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { wasmgate } from '../helpers/eval-cli.js';
import { copyShippedPolicies, opaTool, repoRoot } from '../helpers/policies.js';
import { spawnSync } from 'node:child_process';

const good = join(repoRoot, 'test', 'policies', 'catalogue', 'good');

/**
 * A scratch directory holding `policies/` copied from `from` (the repository's: its default set, without
 * policies an author added, and the fixtures the harness reads).
 */
function scratch(from: string | 'shipped', withFixtures = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-new-'));
  if (from === 'shipped') copyShippedPolicies(join(dir, 'policies'));
  else cpSync(from, join(dir, 'policies'), { recursive: true });
  if (withFixtures) cpSync(join(repoRoot, 'test', 'fixtures'), join(dir, 'test', 'fixtures'), { recursive: true });
  return dir;
}

const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();

t.test('wasmgate new policy scaffolds <family>/<name>/ in the repository’s policies, and wasmgate test is green there at once', async (t) => {
  const dir = scratch('shipped', true);
  const before = filesUnder(join(dir, 'policies'));
  const run = wasmgate(['new', 'policy', 'labels.team', '--action', 'warn'], undefined, dir);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout.split('\n').slice(0, 3).join('\n'), ['created policies/labels/team/team.rego', 'created policies/labels/team/team_test.rego', 'created policies/labels/team/fixtures/team.yaml'].join('\n'));
  t.match(run.stdout, /Next: replace the example rule in policies\/labels\/team\/team\.rego/);
  t.same(
    filesUnder(join(dir, 'policies')).filter((f) => !before.includes(f)),
    ['labels/team/fixtures/team.yaml', 'labels/team/team.rego', 'labels/team/team_test.rego'],
    'only new files; no existing one changed',
  );
  for (const f of before) t.equal(readFileSync(join(dir, 'policies', f), 'utf8'), readFileSync(join(repoRoot, 'policies', f), 'utf8'), `${f} unchanged`);
  const fmt = spawnSync(opaTool().path, ['fmt', '--list', join(dir, 'policies', 'labels')], { encoding: 'utf8' });
  t.equal(fmt.stdout, '', 'formatted as opa fmt writes it');

  const listed = JSON.parse(wasmgate(['policies', '--policy', join(dir, 'policies'), '-o', 'json'], undefined, dir).stdout);
  t.match(
    listed.policies.find((p: { id: string }) => p.id === 'labels.team'),
    { package: 'wasmgate.policies.labels.team', action: 'warn', inForce: { action: 'warn', from: 'metadata' }, file: 'labels/team/team.rego' },
    'in the catalogue, with the metadata it was given',
  );

  const test = wasmgate(['test'], undefined, dir);
  t.equal(test.code, 0, test.stdout + test.stderr);
  t.match(test.stdout, /All policy tests passed/);
  const own = wasmgate(['test', '--run', 'labels.team'], undefined, dir);
  t.equal(own.code, 0, own.stdout + own.stderr);
  t.match(own.stdout, /Rego unit tests \(opa test\): 6 passed/, 'its own Rego tests ran');
  t.match(own.stdout, /Rego unit tests on the WASM engine \(same result as opa test\): 6 passed/);
  t.match(own.stdout, /Fixtures \(policies\/\*\*\/fixtures, test\/fixtures\): 2 passed/, 'its fixtures ran, found beside it');

  // The decision aggregates every package: eval enforces the new policy with its metadata's action.
  const evaluated = wasmgate(['eval', '--policy', 'policies', '-o', 'json', 'policies/labels/team/fixtures/team.yaml'], undefined, dir);
  t.equal(evaluated.code, 0, evaluated.stderr);
  const results = JSON.parse(evaluated.stdout).results;
  t.same(
    results.map((r: { outcome: string }) => r.outcome),
    ['allowed', 'warned'],
  );
  t.same(results[1].violations, [
    { policy: 'labels.team', action: 'warn', message: 'ConfigMap app-a/web-settings has the label "team" with an empty value: give it a value, or remove it', path: 'metadata.labels["team"]', line: 22 },
  ]);
  writeFileSync(join(dir, 'dryrun.yaml'), readFileSync(join(dir, 'policies', 'data.yaml'), 'utf8').replace(/\n {2}enforcement: \{\}\n/, '\n  enforcement:\n    labels: dryrun\n'));
  const dryrun = wasmgate(['eval', '--policy', 'policies', '--data', 'dryrun.yaml', '-o', 'json', 'policies/labels/team/fixtures/team.yaml'], undefined, dir);
  t.equal(dryrun.code, 0, dryrun.stderr);
  t.equal(JSON.parse(dryrun.stdout).results[1].violations[0].action, 'dryrun', 'its family is known to config.enforcement');
});

t.test('in a directory whose decision aggregates the packages, the scaffold’s fixtures pass and eval enforces it', async (t) => {
  const dir = scratch(good);
  const run = wasmgate(['new', 'policy', 'shop.owner'], undefined, dir);
  t.equal(run.code, 0, run.stderr);
  const fixtures = join(dir, 'policies', 'shop', 'owner', 'fixtures');
  const test = wasmgate(['test', '--fixtures', fixtures], undefined, dir);
  t.equal(test.code, 0, test.stdout + test.stderr);
  // (A harness that also finds fixtures beside each policy counts these twice: no count is asserted.)
  t.match(test.stdout, /\n✓ Fixtures \([^)]*\): \d+ passed\n✓ Fixture parity \(opa eval on the Rego source vs the WASM engine\): \d+ passed\n/);
  t.match(test.stdout, /All policy tests passed/);
  const evaluated = wasmgate(['eval', '--policy', join(dir, 'policies'), '-o', 'json', join(fixtures, 'owner.yaml')], undefined, dir);
  t.equal(evaluated.code, 1, evaluated.stderr);
  const results = JSON.parse(evaluated.stdout).results;
  t.same(
    results.map((r: { outcome: string }) => r.outcome),
    ['allowed', 'denied'],
  );
  t.match(results[1].violations, [{ policy: 'shop.owner', action: 'deny', message: 'ConfigMap app-a/web-settings has the label "owner" with an empty value: give it a value, or remove it', path: 'metadata.labels["owner"]' }]);
});

t.test('refused, with nothing written: ids that are not <family>.<name> of Rego identifiers, existing folders, ids in use', async (t) => {
  const dir = scratch(good);
  const before = filesUnder(join(dir, 'policies'));
  const cases: [string[], RegExp][] = [
    [['labels'], /"labels" is not <family>\.<name>: a new policy's id has two parts, e\.g\. labels\.team/],
    [['labels.team.x'], /"labels\.team\.x" is not <family>\.<name>/],
    [['Labels.team'], /the family "Labels" of "Labels\.team" is not a Rego identifier/],
    [['labels.team-owner'], /the name "team-owner" of "labels\.team-owner" is not a Rego identifier: lowercase letters, digits and _, starting with a letter \(no -, no capitals\)/],
    [['labels.1team'], /the name "1team" .* is not a Rego identifier/],
    [['data.team'], /the family "data" of "data\.team" is a Rego keyword/],
    [['labels.team'], /policies\/labels\/team already exists: edit that policy, or pick another id/],
    [['labels.team', '--dir', 'nowhere'], /the policy directory nowhere does not exist/],
    [['labels.team', '--action', 'block'], /Allowed choices are deny, warn/],
  ];
  for (const [args, expected] of cases) {
    const run = wasmgate(['new', 'policy', ...args], undefined, dir);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.stderr, expected, args.join(' '));
  }
  // The same id, or a finding id, used by a policy in another folder.
  writeFileSync(
    join(dir, 'policies', 'labels', 'elsewhere.rego'),
    '# METADATA\n# title: Owner\n# custom:\n#   id: shop.owner\n#   action: deny\n#   remediation: r\n#   rules:\n#     shop.owner.team: t\npackage wasmgate.policies.labels.elsewhere\n\nviolations := set()\n',
  );
  const taken = wasmgate(['new', 'policy', 'shop.owner'], undefined, dir);
  t.equal(taken.code, 2);
  t.match(taken.stderr, /shop\.owner is already the id of wasmgate\.policies\.labels\.elsewhere \(policies\/labels\/elsewhere\.rego\): pick another id/);
  t.same(filesUnder(join(dir, 'policies')), [...before, 'labels/elsewhere.rego'].sort(), 'nothing written');
  t.notOk(existsSync(join(dir, 'policies', 'shop')));
});

t.test('--dir adds it to another policy directory; --help says what it creates', async (t) => {
  const dir = scratch(good);
  const run = wasmgate(['new', 'policy', 'net.egress', '--dir', join(dir, 'policies'), '--action', 'warn']);
  t.equal(run.code, 0, run.stderr);
  t.match(readFileSync(join(dir, 'policies', 'net', 'egress', 'egress.rego'), 'utf8'), /^# METADATA\n# title: The egress label is not empty\n[\s\S]*#   id: net\.egress\n#   action: warn\n[\s\S]*\npackage wasmgate\.policies\.net\.egress\n/);
  t.match(readFileSync(join(dir, 'policies', 'net', 'egress', 'fixtures', 'egress.yaml'), 'utf8'), /# expect: allow\n[\s\S]*# expect: warn\n# expect-violation: net\.egress: has the label "egress" with an empty value\n/);
  const help = wasmgate(['new', 'policy', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: wasmgate new policy \[options\] <id>/);
  t.match(help.stdout, /--action <action> .*\(choices: "deny", "warn", default: "deny"\)/s);
  t.match(help.stdout, /<name>_test\.rego {6}Rego tests covering every line of it/);
  t.match(wasmgate(['new', '--help']).stdout, /policy \[options\] <id>/);
});
