import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { formatterFor, type Report } from '../../dist/output/index.js';
import { readCatalogue } from '../../dist/policies/catalogue.js';
import { wasmgate } from '../helpers/eval-cli.js';
import { opaTool, repoRoot } from '../helpers/policies.js';

const good = join(repoRoot, 'test', 'policies', 'catalogue', 'good');

const report: Report = {
  files: ['a.yaml'],
  results: [
    {
      source: { file: 'a.yaml', line: 1, document: 0 },
      object: { kind: 'Pod', namespace: 'shop', name: 'web' },
      outcome: 'denied',
      violations: [
        { policy: 'images.digest.init', action: 'deny', message: 'init container x: no digest' },
        { policy: 'other', action: 'warn', message: 'not in the catalogue' },
      ],
    },
  ],
  problems: [],
  failOnWarn: false,
};

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription?: { text: string };
  help?: { text: string };
  helpUri?: string;
  defaultConfiguration?: { level: string };
}

const rulesOf = (sarif: string) => JSON.parse(sarif).runs[0].tool.driver.rules as Rule[];

t.test('sarif: a rule descriptor for every policy and finding of the catalogue, from its METADATA', async (t) => {
  const entries = await readCatalogue(good, opaTool());
  const log = JSON.parse(formatterFor('sarif')!.format(report, { catalogue: { entries, policyDir: good } }));
  const driver = log.runs[0].tool.driver;
  t.same(
    driver.rules.map((r: Rule) => r.id),
    ['images.digest', 'images.digest.init', 'labels.team', 'other'],
    'every policy and finding, and ids outside the catalogue, sorted',
  );
  t.same(driver.rules[1], {
    id: 'images.digest.init',
    name: 'images.digest.init',
    shortDescription: { text: 'Init container images pinned by digest' },
    fullDescription: { text: 'With config.images.requireDigest every container image names a digest.' },
    help: { text: 'Refer to each image as name@sha256:<digest>.' },
    helpUri: pathToFileURL(join(good, 'images', 'digest', 'digest.rego')).href,
    defaultConfiguration: { level: 'error' },
  });
  t.match(driver.rules[2], { shortDescription: { text: 'Deployments carry a team label' }, defaultConfiguration: { level: 'warning' } });
  t.same(driver.rules[3], { id: 'other', name: 'other', shortDescription: { text: 'wasmgate policy other' } });
  for (const r of log.runs[0].results) t.equal(driver.rules[r.ruleIndex].id, r.ruleId, 'ruleIndex points at its rule');
  const withoutSources = rulesOf(formatterFor('sarif')!.format(report, { catalogue: { entries } }));
  t.notOk(withoutSources.some((r) => 'helpUri' in r), 'no help URI when the sources are not known');
  t.same(
    rulesOf(formatterFor('sarif')!.format(report)).map((r) => r.id),
    ['images.digest.init', 'other'],
    'without a catalogue, the ids the results name',
  );
});

t.test('wasmgate eval -o sarif describes the policies of --policy DIR', async (t) => {
  const run = wasmgate(['eval', '-o', 'sarif', '--policy', good, join(repoRoot, 'test', 'fixtures', 'allowed', 'deployment.yaml')]);
  t.equal(run.code, 1, run.stderr);
  const rules = rulesOf(run.stdout);
  t.same(
    rules.map((r) => [r.id, r.shortDescription.text, r.help?.text]),
    [
      ['images.digest', 'Images pinned by digest', 'Refer to each image as name@sha256:<digest>.'],
      ['images.digest.init', 'Init container images pinned by digest', 'Refer to each image as name@sha256:<digest>.'],
      ['labels.team', 'Deployments carry a team label', "Add metadata.labels.team with the owning team's name."],
    ],
  );
  t.equal(rules[2]?.helpUri, pathToFileURL(join(good, 'labels', 'team', 'team.rego')).href);
});

t.test("wasmgate eval -o sarif with the project's own build describes the default policies, their files in policies/", async (t) => {
  const run = wasmgate(['eval', '-o', 'sarif', join(repoRoot, 'examples', 'shop')]);
  t.equal(run.code, 1, run.stderr);
  const log = JSON.parse(run.stdout);
  const rules = log.runs[0].tool.driver.rules as Rule[];
  const registries = rules.find((r) => r.id === 'registries');
  t.match(registries, { shortDescription: { text: 'Allowed image registries' }, defaultConfiguration: { level: 'error' } });
  t.equal(registries?.helpUri, pathToFileURL(join(repoRoot, 'policies', 'registries', 'allowed', 'allowed.rego')).href);
  t.ok(rules.some((r) => r.id === 'pod-security.privileged'), 'finding ids too');
  t.ok(log.runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'registries'), 'the example is denied by registries');
});
