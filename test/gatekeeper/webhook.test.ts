// Templates and constraints as a policy source: `wasmgate serve` (over HTTPS) and `wasmgate eval`
// deny, warn and allow what Gatekeeper's own gator decides for the same objects, with the same
// messages; a template change reloads like a policy change.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { reviewFor } from '../../dist/admission/synthesize.js';
import { readObjects } from '../../dist/gatekeeper/read.js';
import { resolveGator } from '../../dist/toolchain/gator.js';
import { repoRoot } from '../helpers/policies.js';
import { admit, startServer } from '../server/helpers.js';

const policies = join(repoRoot, 'test', 'gatekeeper', 'policies');
const dataFile = join(repoRoot, 'test', 'gatekeeper', 'webhook-data.yaml');
const cases = join(repoRoot, 'test', 'gatekeeper', 'library');
const pod = join(cases, 'requiredlabels', 'cases', 'no-team.yaml');
const labelled = join(cases, 'requiredlabels', 'cases', 'labelled.yaml');
const service = join(cases, 'uniquelabel', 'cases', 'service.yaml');
const cli = join(repoRoot, 'dist', 'cli', 'main.js');

interface Finding {
  readonly policy: string;
  readonly message: string;
  readonly action: string;
}

/** What gator decides for `object`, reviewed with `extra` objects as its inventory. */
function gatorFindings(object: string, extra: string[] = []): Finding[] {
  const run = spawnSync(resolveGator(), ['test', '-o', 'json', '-f', policies, '-f', object, ...extra.flatMap((f) => ['-f', f])], { encoding: 'utf8' });
  // No findings print as `null`.
  const results = (JSON.parse(run.stdout) ?? []) as { msg: string; enforcementAction: string; constraint: { kind: string; metadata: { name: string } } }[];
  return results.map((r) => ({ policy: `${r.constraint.kind}/${r.constraint.metadata.name}`, message: r.msg, action: r.enforcementAction }));
}

/** The inventory of webhook-data.yaml as a file of objects, for gator. */
function inventoryFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-gk-inventory-'));
  const file = join(dir, 'inventory.yaml');
  const data = readFileSync(dataFile, 'utf8').replace(/^#.*\n/m, '');
  const service = /cart-old:\n([\s\S]*)$/.exec(data)![1]!.replace(/^ {12}/gm, '');
  writeFileSync(file, service);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return file;
}

async function reviewOf(file: string, uid: string) {
  const [object] = await readObjects(file);
  return { ...reviewFor(object!, {}), request: { ...reviewFor(object!, {}).request, uid } };
}

t.test('gator decides the test objects as expected (the reference itself)', async (t) => {
  t.same(gatorFindings(pod), [{ policy: 'WgRequiredLabels/owner-and-team', message: 'Pod web-2 is missing the labels ["team"]', action: 'deny' }]);
  t.same(gatorFindings(labelled), []);
  const inventory = inventoryFile();
  t.same(
    gatorFindings(service, [inventory]).filter((f) => f.message.endsWith('legacy/cart-old')),
    [{ policy: 'WgUniqueLabel/unique-app', message: 'label app=cart is already used by Service legacy/cart-old', action: 'warn' }],
  );
});

t.test('wasmgate eval --gatekeeper: the same findings as gator', async (t) => {
  const run = spawnSync(process.execPath, [cli, 'eval', '--gatekeeper', policies, '--gatekeeper-only', '--data', dataFile, '-o', 'json', pod, labelled, service], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.equal(run.status, 1, run.stderr);
  const report = JSON.parse(run.stdout) as { results: { name: string; outcome: string; violations: Finding[] }[] };
  const byName = new Map(report.results.map((r) => [r.name, r]));
  t.equal(byName.get('web-2')?.outcome, 'denied');
  t.same(byName.get('web-2')?.violations, gatorFindings(pod));
  t.equal(byName.get('web-1')?.outcome, 'allowed');
  t.equal(byName.get('cart')?.outcome, 'warned');
  t.same(byName.get('cart')?.violations, gatorFindings(service, [inventoryFile()]).filter((f) => f.message.endsWith('legacy/cart-old')));

  const beside = spawnSync(process.execPath, [cli, 'eval', '--gatekeeper', policies, '-o', 'json', pod], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const policiesSeen = (JSON.parse(beside.stdout) as { results: { violations: Finding[] }[] }).results[0]!.violations.map((v) => v.policy);
  t.ok(policiesSeen.includes('WgRequiredLabels/owner-and-team'), 'beside the default policy set: the constraint decides');
  t.ok(policiesSeen.includes('registries'), 'and so do the default policies');
});

t.test('wasmgate eval --inventory: Namespaces for a namespaceSelector, as gator finds them among its objects', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-gk-selector-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(policies, 'requiredlabels', 'template.yaml'), join(dir, 'template.yaml'));
  cpSync(join(cases, 'requiredlabels', 'constraint-namespace-selector.yaml'), join(dir, 'constraint.yaml'));
  const object = join(cases, 'requiredlabels', 'cases', 'in-shop.yaml');
  const namespaces = join(cases, 'requiredlabels', 'cases', 'namespaces.yaml');
  const evaluate = (...extra: string[]) => {
    const run = spawnSync(process.execPath, [cli, 'eval', '--gatekeeper', dir, '--gatekeeper-only', '-o', 'json', ...extra, object], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    return (JSON.parse(run.stdout) as { results: { violations: Finding[] }[] }).results[0]!.violations;
  };
  const gator = spawnSync(resolveGator(), ['test', '-o', 'json', '-f', dir, '-f', object, '-f', namespaces], { encoding: 'utf8' });
  const expected = (JSON.parse(gator.stdout) as { msg: string }[]).map((r) => r.msg).filter((m) => m.startsWith('Pod web-6'));
  t.same(expected, ['Pod web-6 is missing the labels ["owner"]'], 'gator: the Pod in a Namespace labelled env=prod');
  t.same(evaluate('--inventory', namespaces).map((v) => v.message), expected);
  t.same(evaluate().map((v) => v.message), [
    'unable to match constraints: error matching the requested object: web-6 :failed to run Match criteria: namespace selector for namespace-scoped object but missing Namespace',
  ]);
});

t.test('wasmgate serve --gatekeeper over HTTPS: denies, warns and allows as gator does', async (t) => {
  const running = await startServer({ gatekeeper: policies, gatekeeperOnly: true, dataFile });
  t.teardown(running.stop);
  const denied = await admit(running.port, running.ca, await reviewOf(pod, 'pod-1'));
  t.equal(denied.status, 200);
  t.equal(denied.json.response.uid, 'pod-1');
  t.equal(denied.json.response.allowed, false);
  t.equal(denied.json.response.status.code, 403);
  t.equal(denied.json.response.status.message, gatorFindings(pod).map((f) => `[${f.policy}] ${f.message}`).join('\n'));

  const warned = await admit(running.port, running.ca, await reviewOf(service, 'svc-1'));
  t.equal(warned.json.response.allowed, true);
  const expected = gatorFindings(service, [inventoryFile()]).filter((f) => f.message.endsWith('legacy/cart-old'));
  t.same(warned.json.response.warnings, expected.map((f) => `[${f.policy}] ${f.message}`));

  const allowed = await admit(running.port, running.ca, await reviewOf(labelled, 'pod-2'));
  t.equal(allowed.json.response.allowed, true);
  t.notOk(allowed.json.response.warnings);
  t.match(String(running.server.policy.current.revision), /^gatekeeper\.[0-9a-f]{12}\+data\.[0-9a-f]{8}$/);
});

t.test('a template change reloads like a policy change; a broken one is rejected', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-gk-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(policies, dir, { recursive: true });
  // A dryrun constraint: counted and logged, never in the answer.
  writeFileSync(
    join(dir, 'requiredlabels', 'constraint-dryrun.yaml'),
    'apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: WgRequiredLabels\nmetadata:\n  name: cost-center\nspec:\n  enforcementAction: dryrun\n  parameters:\n    labels: ["cost-center"]\n',
  );
  const running = await startServer({ gatekeeper: dir, gatekeeperOnly: true });
  t.teardown(running.stop);
  const first = await admit(running.port, running.ca, await reviewOf(pod, 'pod-0'));
  t.equal(first.json.response.status.message, '[WgRequiredLabels/owner-and-team] Pod web-2 is missing the labels ["team"]');
  t.notOk(first.json.response.warnings);
  const decision = running.logs.find((l) => l.uid === 'pod-0');
  t.same(decision?.denied, ['WgRequiredLabels/owner-and-team']);
  t.same(decision?.dryrunViolations, ['WgRequiredLabels/cost-center']);
  const before = running.server.policy.current.revision;
  const template = join(dir, 'requiredlabels', 'template.yaml');
  writeFileSync(template, readFileSync(template, 'utf8').replace('is missing the labels', 'lacks the labels'));
  const reloaded = await running.server.reloadPolicy('test: template edited');
  t.ok(reloaded.ok, reloaded.error);
  t.not(reloaded.revision, before);
  const denied = await admit(running.port, running.ca, await reviewOf(pod, 'pod-3'));
  t.equal(denied.json.response.status.message, '[WgRequiredLabels/owner-and-team] Pod web-2 lacks the labels ["team"]');

  writeFileSync(template, readFileSync(template, 'utf8').replace('sort(absent)]', 'sort(absent)'));
  const rejected = await running.server.reloadPolicy('test: template broken');
  t.notOk(rejected.ok);
  t.match(rejected.error, /template wgrequiredlabels: its Rego \(v1\) does not compile/);
  const still = await admit(running.port, running.ca, await reviewOf(pod, 'pod-4'));
  t.equal(still.json.response.status.message, '[WgRequiredLabels/owner-and-team] Pod web-2 lacks the labels ["team"]', 'the previous templates keep serving');
});
