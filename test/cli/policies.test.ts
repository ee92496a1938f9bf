import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { listPolicies } from '../../dist/policies/in-force.js';
import { readCatalogue } from '../../dist/policies/catalogue.js';
import { tableMarkers } from '../../dist/policies/markdown.js';
import { wasmgate } from '../helpers/eval-cli.js';
import { compilePolicies, opaTool, repoRoot } from '../helpers/policies.js';

const good = join(repoRoot, 'test', 'policies', 'catalogue', 'good');

function dataFile(enforcement: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wasmgate-policies-data-')), 'data.yaml');
  writeFileSync(file, JSON.stringify({ config: { enforcement } }));
  return file;
}

t.test('wasmgate policies lists id, action in force, what set it, title and data keys; findings under their policy', async (t) => {
  const run = wasmgate(['policies', '--policy', good]);
  t.equal(run.code, 0, run.stderr);
  t.equal(
    run.stdout,
    [
      'ID                    ACTION  SET BY    TITLE                                   DATA KEYS',
      'images.digest         deny    metadata  Images pinned by digest                 config.images.requireDigest',
      '  images.digest.init  deny    metadata  Init container images pinned by digest',
      'labels.team           warn    metadata  Deployments carry a team label          -',
      '',
    ].join('\n'),
  );
  t.match(run.stderr, /actions in force with .*test\/policies\/catalogue\/good\/data\.yaml/);
});

t.test('the action in force: the id, else its family (the id up to the first "."), else the metadata, as the decision does', async (t) => {
  const run = wasmgate(['policies', '--policy', good, '--data', dataFile({ labels: 'dryrun', 'images.digest': 'warn' })]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /\nimages\.digest {9}warn {4}config\.enforcement\["images\.digest"\] /);
  t.match(run.stdout, /\n {2}images\.digest\.init {2}deny {4}metadata /, "a finding is not set by its policy's id");
  t.match(run.stdout, /\nlabels\.team {11}dryrun {2}config\.enforcement\["labels"\] /);
  const entries = await readCatalogue(good, opaTool());
  const family = listPolicies(entries, { config: { enforcement: { images: 'warn' } } });
  t.same(family[0]?.inForce, { action: 'warn', from: 'config.enforcement["images"]' });
  t.same(family[0]?.rules[0]?.inForce, { action: 'warn', from: 'config.enforcement["images"]' }, 'a finding by its family');
  const own = listPolicies(entries, { config: { enforcement: { 'images.digest.init': 'dryrun', images: 'warn' } } });
  t.same(own[0]?.rules[0]?.inForce, { action: 'dryrun', from: 'config.enforcement["images.digest.init"]' }, 'a finding’s own key comes first');
  t.same(own[1]?.inForce, { action: 'warn', from: 'metadata' });
  const typo = listPolicies(entries, { config: { enforcement: { labels: 'wran' } } });
  t.same(typo[1]?.inForce, { action: 'deny', from: 'config.enforcement["labels"]', invalid: '"wran"' }, 'a value that is no action counts as deny');
  t.same(listPolicies(entries, undefined)[1]?.inForce, { action: 'warn', from: 'metadata' }, 'no data: the defaults');
});

t.test('without --policy: policies/ of the working directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-policies-cwd-'));
  cpSync(good, join(dir, 'policies'), { recursive: true });
  const run = wasmgate(['policies', '-o', 'json'], undefined, dir);
  t.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  t.equal(doc.data, join('policies', 'data.yaml'));
  t.same(
    doc.policies.map((p: { id: string }) => p.id),
    ['images.digest', 'labels.team'],
  );
});

t.test('-o json: the catalogue entries with their action in force', async (t) => {
  const run = wasmgate(['policies', '--policy', good, '-o', 'json', '--data', dataFile({ labels: 'dryrun' })]);
  t.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  t.equal(doc.version, 1);
  t.match(doc.data, /data\.yaml$/);
  const entries = await readCatalogue(good, opaTool());
  t.same(
    doc.policies.map((p: { id: string }) => p.id),
    entries.map((e) => e.id),
  );
  t.match(doc.policies[1], { ...entries[1], rules: [], inForce: { action: 'dryrun', from: 'config.enforcement["labels"]' } });
  t.match(doc.policies[0].rules, [{ id: 'images.digest.init', title: 'Init container images pinned by digest', inForce: { action: 'deny', from: 'metadata' } }]);
});

t.test('a compiled directory lists the catalogue its build wrote, with its data.json', async (t) => {
  const out = await compilePolicies(good);
  const run = wasmgate(['policies', '--policy', out, '-o', 'json']);
  t.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  t.equal(doc.data, join(out, 'data.json'), 'the data the build compiled in');
  t.same(
    doc.policies.map((p: { id: string; inForce: { action: string } }) => [p.id, p.inForce.action]),
    [
      ['images.digest', 'deny'],
      ['labels.team', 'warn'],
    ],
  );
  const bundle = wasmgate(['policies', '--policy', join(out, 'bundle.tar.gz')]);
  t.equal(bundle.code, 2);
  t.match(bundle.stderr, /is a bundle: its policies are listed from the directory of Rego it was built from/);
});

t.test('errors: invalid metadata names file:line and key; a missing directory; bad data; exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-policies-bad-'));
  cpSync(good, dir, { recursive: true });
  const file = join(dir, 'labels', 'team', 'team.rego');
  writeFileSync(file, readFileSync(file, 'utf8').replace('action: warn', 'action: block'));
  const bad = wasmgate(['policies', '--policy', dir]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /wasmgate policies: policy metadata in .* is invalid:\n {2}labels\/team\/team\.rego:8: custom\.action: is "block"; expected one of deny, warn, dryrun/);
  const none = wasmgate(['policies', '--policy', join(dir, 'nothing')]);
  t.equal(none.code, 2);
  t.match(none.stderr, /--policy .*nothing: no such file or directory/);
  const data = wasmgate(['policies', '--policy', good, '--data', join(dir, 'none.yaml')]);
  t.equal(data.code, 2);
  t.match(data.stderr, /cannot read data file/);
  const format = wasmgate(['policies', '-o', 'xml']);
  t.equal(format.code, 2);
  t.match(format.stderr, /Allowed choices are text, json, markdown/);
});

t.test('--help explains the action in force and shows examples', async (t) => {
  const run = wasmgate(['policies', '--help']);
  t.equal(run.code, 0);
  for (const flag of ['-o, --output <format>', '--policy <dir>', '--data <file>', '--readme <file>']) t.match(run.stdout, flag);
  t.match(run.stdout, /config\.enforcement\[<id>\] in the data, else config\.enforcement\[<family>\]/);
  t.match(run.stdout, /Examples:\n {2}wasmgate policies /);
  t.match(wasmgate(['--help']).stdout, /\n {2}policies \[options\] +list the policies/);
});

t.test('-o markdown and --readme: the table between the markers, from the catalogue', async (t) => {
  const md = wasmgate(['policies', '--policy', good, '-o', 'markdown']);
  t.equal(md.code, 0, md.stderr);
  const lines = md.stdout.trimEnd().split('\n');
  t.equal(lines[0], '| id (and findings) | title | what it checks | action | how to fix | data keys | file |');
  t.equal(
    lines[2],
    '| `images.digest`<br>`images.digest.init`: Init container images pinned by digest | Images pinned by digest | With config.images.requireDigest every container image names a digest. | deny | Refer to each image as name@sha256:&lt;digest&gt;. | `config.images.requireDigest` | `images/digest/digest.rego` |',
  );
  t.match(lines[3], /^\| `labels\.team` \| Deployments carry a team label \| Every Deployment names the team that owns it in the label "team"\. \| warn \|/, 'a description on one line');
  t.equal(lines.length, 4);

  const readme = join(mkdtempSync(join(tmpdir(), 'wasmgate-policies-readme-')), 'README.md');
  writeFileSync(readme, `# Title\n\n${tableMarkers.begin}\nold table\n${tableMarkers.end}\n\nafter\n`);
  const write = wasmgate(['policies', '--policy', good, '--readme', readme]);
  t.equal(write.code, 0, write.stderr);
  t.match(write.stderr, /wrote the policy table into/);
  const text = readFileSync(readme, 'utf8');
  t.notMatch(text, /old table/);
  t.match(text, new RegExp(`${tableMarkers.begin.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}\n\\| id \\(and findings\\)`));
  t.match(text, /\[labels\/team\/team\.rego\]\(.*test\/policies\/catalogue\/good\/labels\/team\/team\.rego\) \|\n<!-- \/policy-table -->\n\nafter\n$/, 'files link to the policy, relative to the README');
  const again = wasmgate(['policies', '--policy', good, '--readme', readme]);
  t.match(again.stderr, /the policy table in .* is current/);
  t.equal(readFileSync(readme, 'utf8'), text);
  writeFileSync(readme, '# no markers\n');
  const missing = wasmgate(['policies', '--policy', good, '--readme', readme]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /has no policy table markers: put the lines/);
});

t.test("the README's wasmgate policies example prints what it shows", async (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /```console\n\$ wasmgate (policies [^\n]*)\n([\s\S]*?)```/.exec(readme);
  t.ok(block, 'the README has the example');
  const run = wasmgate(block![1]!.split(' '));
  t.equal(run.code, 0, run.stderr);
  t.equal(`${run.stdout}${run.stderr}`, block![2]);
});
