// What only the webhook does (gator does neither): a template's operations filter requests, and
// Rego sees the request's Namespace as input.review.namespaceObject. And the wildcards themselves.
import { join } from 'node:path';
import t from 'tap';
import { compileTemplate } from '../../dist/gatekeeper/compile.js';
import { GatekeeperEvaluator } from '../../dist/gatekeeper/evaluator.js';
import { inventoryOf } from '../../dist/gatekeeper/inventory.js';
import { wildcardMatches } from '../../dist/gatekeeper/match.js';
import { parseConstraint, parseTemplate } from '../../dist/gatekeeper/objects.js';
import { readObjects } from '../../dist/gatekeeper/read.js';
import { reviewOfObject, reviewOfRequest } from '../../dist/gatekeeper/review.js';
import { opaTool, repoRoot } from '../helpers/policies.js';

const dir = join(repoRoot, 'test', 'gatekeeper', 'library', 'review');

async function evaluator(operations?: string[]) {
  const [raw] = await readObjects(join(dir, 'template.yaml'));
  const object = structuredClone(raw!) as { spec: { targets: Record<string, unknown>[] } };
  if (operations) object.spec.targets[0]!.operations = operations;
  const compiled = await compileTemplate(parseTemplate(object, 'template.yaml'), { opa: opaTool() });
  const [constraint] = await readObjects(join(dir, 'constraint.yaml'));
  return new GatekeeperEvaluator({ templates: [compiled], constraints: [parseConstraint(constraint!, 'constraint.yaml')] });
}

t.test('namespaceObject: the Namespace in the webhook, {} for gator', async (t) => {
  const gk = await evaluator();
  const inventory = inventoryOf(await readObjects(join(dir, 'cases', 'namespace.yaml')));
  const [configMap] = await readObjects(join(dir, 'cases', 'configmap.yaml'));
  const review = reviewOfObject(configMap!);
  const [webhook] = gk.review(review, { inventory, webhook: true });
  t.match(webhook?.msg, '"namespaceObject": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"labels": {"env": "prod"}, "name": "shop"}}');
  const [gator] = gk.review(review, { inventory });
  t.match(gator?.msg, '"namespaceObject": {}');
});

t.test("a template's operations apply in the webhook only", async (t) => {
  const gk = await evaluator(['CREATE']);
  const [configMap] = await readObjects(join(dir, 'cases', 'configmap.yaml'));
  const request = (operation: string) => reviewOfRequest({ operation, kind: { group: '', version: 'v1', kind: 'ConfigMap' }, object: configMap });
  t.equal(gk.review(request('CREATE'), { inventory: {}, webhook: true }).length, 1);
  t.equal(gk.review(request('UPDATE'), { inventory: {}, webhook: true }).length, 0, 'UPDATE is not among the operations');
  t.equal(gk.review(request('UPDATE'), { inventory: {} }).length, 1, 'gator reviews every operation');
});

t.test("Gatekeeper's wildcards", async (t) => {
  const table: [string, string, boolean][] = [
    ['kube-*', 'kube-system', true],
    ['kube-*', 'my-kube-system', false],
    ['*-system', 'kube-system', true],
    ['*-system', 'kube-systems', false],
    ['*ube*', 'kube-system', true],
    ['*zz*', 'kube-system', false],
    ['kube-system', 'kube-system', true],
    ['kube-system', 'kube-system2', false],
    ['*', 'anything', true],
  ];
  for (const [pattern, name, expected] of table) t.equal(wildcardMatches(pattern, name), expected, `${pattern} ~ ${name}`);
});

t.test('a template with CEL code too runs its Rego and says so; one with CEL alone is refused', async (t) => {
  const template = (code: unknown[]) => ({
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: { name: 'wgboth' },
    spec: { crd: { spec: { names: { kind: 'WgBoth' } } }, targets: [{ target: 'admission.k8s.gatekeeper.sh', code }] },
  });
  const cel = { engine: 'K8sNativeValidation', source: { validations: [{ expression: 'true' }] } };
  const rego = { engine: 'Rego', source: { rego: 'package wgboth\nviolation[{"msg": "x"}] { true }\n' } };
  const both = parseTemplate(template([cel, rego]), 'both.yaml');
  t.same(both.otherEngines, ['K8sNativeValidation']);
  t.equal(both.regoVersion, 'v0');
  t.throws(() => parseTemplate(template([cel]), 'cel.yaml'), {
    message: 'cel.yaml: template wgboth: the template has no Rego (spec.targets[0].rego or a code entry with engine: Rego); it has only K8sNativeValidation, which wasmgate does not run',
  });
});
