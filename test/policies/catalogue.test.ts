import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { isWasmgateError } from '../../dist/errors.js';
import { loadCatalogue, readCatalogue, writeCatalogue } from '../../dist/policies/catalogue.js';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { opaTool, repoRoot } from '../helpers/policies.js';

const good = join(repoRoot, 'test', 'policies', 'catalogue', 'good');

/** A copy of the good directory with these files replaced or added. */
function variant(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-catalogue-'));
  cpSync(good, dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** The team policy's file with its metadata lines (between "# METADATA" and package) replaced. */
function team(metadata: string[], pkg = 'wasmgate.policies.labels.team'): string {
  return ['# METADATA', ...metadata.map((l) => `# ${l}`.trimEnd()), `package ${pkg}`, '', 'violations := set()', ''].join('\n');
}

const goodTeam = ['title: Deployments carry a team label', 'custom:', '  id: labels.team', '  action: warn', '  remediation: Add the label.'];

async function problemsOf(dir: string): Promise<string[]> {
  const err = await readCatalogue(dir, opaTool()).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isWasmgateError(err, 'METADATA_INVALID')) throw new Error(`expected METADATA_INVALID, got ${String(err)}`);
  return [...(err.details ?? [])];
}

t.test('the catalogue of a directory: one entry per wasmgate.policies.<family>.<name> package, sorted by id', async (t) => {
  const entries = await readCatalogue(good, opaTool());
  t.same(entries, [
    {
      id: 'images.digest',
      family: 'images',
      name: 'digest',
      package: 'wasmgate.policies.images.digest',
      title: 'Images pinned by digest',
      description: 'With config.images.requireDigest every container image names a digest.',
      remediation: 'Refer to each image as name@sha256:<digest>.',
      action: 'deny',
      data: ['config.images.requireDigest'],
      rules: [{ id: 'images.digest.init', title: 'Init container images pinned by digest' }],
      file: 'images/digest/digest.rego',
    },
    {
      id: 'labels.team',
      family: 'labels',
      name: 'team',
      package: 'wasmgate.policies.labels.team',
      title: 'Deployments carry a team label',
      description: 'Every Deployment names the team that owns it\nin the label "team".',
      remediation: "Add metadata.labels.team with the owning team's name.",
      action: 'warn',
      data: [],
      rules: [],
      file: 'labels/team/team.rego',
    },
  ]);
});

t.test('description and data may be left out', async (t) => {
  const [entry] = (await readCatalogue(variant({ 'labels/team/team.rego': team(goodTeam) }), opaTool())).filter((e) => e.id === 'labels.team');
  t.equal(entry?.description, '');
  t.same(entry?.data, []);
});

t.test('missing or invalid metadata: one problem per key, each naming file:line and the key', async (t) => {
  const cases: [string, string[], RegExp[]][] = [
    ['no METADATA block', ['title: x'], []],
    [
      'missing id, action, remediation',
      ['title: Team label', 'custom:', '  data: []'],
      [/^labels\/team\/team\.rego:3: custom\.id: missing/, /^labels\/team\/team\.rego:3: custom\.action: missing \(one of deny, warn, dryrun\)/, /:3: custom\.remediation: missing/],
    ],
    ['invalid action', [...goodTeam.slice(0, 3), '  action: block', goodTeam[4]!], [/^labels\/team\/team\.rego:5: custom\.action: is "block"; expected one of deny, warn, dryrun$/]],
    ['invalid id', ['title: x', 'custom:', '  id: Labels.Team', '  action: deny', '  remediation: r'], [/^labels\/team\/team\.rego:4: custom\.id: "Labels\.Team" is not a policy id/]],
    ['reserved id', ['title: x', 'custom:', '  id: config', '  action: deny', '  remediation: r'], [/:4: custom\.id: "config" is reserved/]],
    ['missing title', goodTeam.slice(1), [/^labels\/team\/team\.rego:1: title: missing/]],
    ['missing custom', ['title: x'], [/^labels\/team\/team\.rego:1: custom: missing/]],
    ['empty remediation', [...goodTeam.slice(0, 4), '  remediation: ""'], [/:6: custom\.remediation: must be a non-empty string/]],
    ['a data key not under config', [...goodTeam, '  data:', '    - config.labels.team', '    - labels.team'], [/^labels\/team\/team\.rego:9: custom\.data\[1\]: "labels\.team" is not a data key/]],
    ['a rule not below the id', [...goodTeam, '  rules:', '    labels.owner: Owner label'], [/^labels\/team\/team\.rego:8: custom\.rules\.labels\.owner: a finding id is below the policy id: labels\.team\.<something>/]],
  ];
  for (const [name, metadata, expected] of cases) {
    const text = name === 'no METADATA block' ? 'package wasmgate.policies.labels.team\n\nviolations := set()\n' : team(metadata);
    const problems = await problemsOf(variant({ 'labels/team/team.rego': text }));
    if (name === 'no METADATA block') {
      t.match(problems, [/^labels\/team\/team\.rego:1: package wasmgate\.policies\.labels\.team has no # METADATA block/], name);
      continue;
    }
    t.equal(problems.length, expected.length, `${name}: ${problems.join(' | ')}`);
    for (const pattern of expected) t.ok(problems.some((p) => pattern.test(p)), `${name}: ${pattern} in ${problems.join(' | ')}`);
  }
});

t.test('an id used by two packages, or by a package and another one’s finding, is named at both places', async (t) => {
  const dir = variant({ 'labels/owner/owner.rego': team(['title: Owner', 'custom:', '  id: labels.team', '  action: deny', '  remediation: r'], 'wasmgate.policies.labels.owner') });
  t.match(await problemsOf(dir), [/^labels\/team\/team\.rego:7: the id labels\.team is also used by wasmgate\.policies\.labels\.owner \(labels\/owner\/owner\.rego:4\): ids must be unique$/]);
  const rule = variant({ 'labels/owner/owner.rego': team(['title: Owner', 'custom:', '  id: images.digest.init', '  action: deny', '  remediation: r'], 'wasmgate.policies.labels.owner') });
  t.match(await problemsOf(rule), [/the id images\.digest\.init is also used by wasmgate\.policies\.images\.digest \(images\/digest\/digest\.rego:12\)/]);
});

t.test('packages that are not <family>.<name>; METADATA in two files of one package', async (t) => {
  t.match(await problemsOf(variant({ 'labels/labels.rego': 'package wasmgate.policies.labels\n\nx := 1\n' })), [/^labels\/labels\.rego:1: package wasmgate\.policies\.labels: a policy package is wasmgate\.policies\.<family>\.<name>$/]);
  const twice = variant({ 'labels/team/more.rego': team(goodTeam) });
  const err = await readCatalogue(twice, opaTool()).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  t.match(err?.message, /rego_type_error: package annotation redeclared: labels\/team\/more\.rego:1/, "OPA's own check");
});

t.test('Rego that does not parse is OPA’s error', async (t) => {
  const err = await readCatalogue(variant({ 'labels/team/team.rego': 'package wasmgate.policies.labels.team\n\nviolations contains if {\n' }), opaTool()).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  t.match(err?.message, /opa inspect .* failed:\n.*rego_parse_error/s);
});

t.test('loadCatalogue reads what writeCatalogue wrote and rejects what is not a catalogue', async (t) => {
  const entries = await readCatalogue(good, opaTool());
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-catalogue-file-'));
  const file = join(dir, 'catalogue.json');
  writeCatalogue(file, entries);
  t.same(loadCatalogue(file), entries);
  writeFileSync(file, JSON.stringify([{ ...entries[0], action: 'block' }]));
  t.throws(() => loadCatalogue(file), { code: 'BUNDLE_INVALID', message: /action "block" is not one of deny, warn, dryrun/ });
  writeFileSync(file, '{}');
  t.throws(() => loadCatalogue(file), { code: 'BUNDLE_INVALID', message: /a JSON list of policies/ });
  t.throws(() => loadCatalogue(join(dir, 'none.json')), { code: 'BUNDLE_INVALID', message: /cannot read the policy catalogue/ });
});

t.test('the build writes catalogue.json beside policy.wasm, and stops on invalid metadata', async (t) => {
  const outDir = mkdtempSync(join(tmpdir(), 'wasmgate-catalogue-build-'));
  await buildPolicies({ opa: opaTool(), policiesDir: good, outDir });
  t.same(JSON.parse(readFileSync(join(outDir, 'catalogue.json'), 'utf8')), await readCatalogue(good, opaTool()));
  const bad = variant({ 'labels/team/team.rego': team([...goodTeam.slice(0, 3), '  action: block', goodTeam[4]!]) });
  const err = await buildPolicies({ opa: opaTool(), policiesDir: bad, outDir: mkdtempSync(join(tmpdir(), 'wasmgate-catalogue-build-')) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isWasmgateError(err, 'METADATA_INVALID'));
  t.match((err as Error).message, /policy metadata in .* is invalid:\n {2}labels\/team\/team\.rego:5: custom\.action: is "block"/);
});

t.test("the project's own policies/ has a valid catalogue", async (t) => {
  const entries = await readCatalogue(join(repoRoot, 'policies'), opaTool());
  // Every package of the default set; a policy an author adds beside them must not fail this test.
  const shipped = [
    ['bounds', 'wasmgate.policies.bounds.size'],
    ['calico', 'wasmgate.policies.calico.networkpolicy'],
    ['limits', 'wasmgate.policies.limits.resources'],
    ['pod-security', 'wasmgate.policies.podsecurity.psp'],
    ['registries', 'wasmgate.policies.registries.allowed'],
    ['system-namespaces', 'wasmgate.policies.namespaces.system'],
  ];
  const found = entries.map((e) => [e.id, e.package]);
  t.same(found.filter(([id]) => shipped.some(([s]) => s === id)), shipped, 'every policy package of the default set, sorted by id');
  t.match(entries.find((e) => e.id === 'registries')?.rules, [{ id: 'registries.digest', title: 'Images pinned by digest' }]);
  t.same(loadCatalogue(join(repoRoot, 'wasm', 'catalogue.json')), entries, 'wasm/catalogue.json is the build’s');
});
