// deploy/: the manifests agree with the server and with each other, the webhook configuration is one a
// cluster can rely on, and the webhook's own Deployment passes wasmgate's default policies.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import t from 'tap';
import { envName, optionSpecs } from '../../dist/config/index.js';
import { serveNodeFlags } from '../../dist/config/node-flags.js';
import { applyJsonPatch, loadBundle, PolicyEvaluator, readDataFile } from '../../dist/engine/index.js';
import { synthesizeReview } from '../../dist/admission/synthesize.js';
import { repoRoot, shippedBundle } from '../helpers/policies.js';

const deployDir = join(repoRoot, 'deploy');
type Obj = Record<string, any>;

const files = readdirSync(deployDir).filter((f) => f.endsWith('.yaml'));
const docs: Obj[] = files
  .filter((f) => f !== 'kustomization.yaml' && f !== 'data.yaml')
  .flatMap((f) => yaml.loadAll(readFileSync(join(deployDir, f), 'utf8')) as Obj[]);
const one = (kind: string): Obj => {
  const found = docs.filter((d) => d.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
};
const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const webhookConfig = one('ValidatingWebhookConfiguration');
const mutatingConfig = one('MutatingWebhookConfiguration');
const dataFile = join(deployDir, 'data.yaml');

t.test('kustomization lists every manifest', async (t) => {
  const kustomization = yaml.load(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8')) as Obj;
  t.same([...kustomization.resources].sort(), files.filter((f) => f !== 'kustomization.yaml' && f !== 'data.yaml').sort());
  t.same(kustomization.configMapGenerator[0].files, ['data.yaml']);
  t.equal(kustomization.configMapGenerator[0].name, pod.volumes.find((v: Obj) => v.name === 'policy-data').configMap.name);
});

t.test('Deployment: 2 replicas apart, non-root, read-only root, probes, resources', async (t) => {
  t.equal(deployment.spec.replicas, 2);
  t.ok(pod.affinity.podAntiAffinity, 'anti-affinity');
  t.equal(pod.securityContext.runAsNonRoot, true);
  t.ok(pod.securityContext.runAsUser > 0);
  t.equal(container.securityContext.readOnlyRootFilesystem, true);
  t.equal(container.securityContext.allowPrivilegeEscalation, false);
  t.same(container.securityContext.capabilities.drop, ['ALL']);
  t.match(container.readinessProbe.httpGet, { path: '/readyz', scheme: 'HTTPS', port: 'https' });
  t.match(container.livenessProbe.httpGet, { path: '/healthz', scheme: 'HTTPS', port: 'https' });
  t.ok(container.resources.limits.cpu && container.resources.limits.memory && container.resources.requests.memory);
  t.equal(container.ports.find((p: Obj) => p.name === 'https').containerPort, 8443, 'the default port');
  t.equal(one('Service').spec.ports[0].targetPort, 'https');
  t.same(one('PodDisruptionBudget').spec.selector.matchLabels, deployment.spec.template.metadata.labels);
  // The settings as the pod runs them: its environment, else wasmgate's defaults.
  const setting = (key: string) => {
    const spec = optionSpecs.find((o) => o.key === key)!;
    const fromEnv = (container.env as Obj[]).find((e) => e.name === envName(key))?.value;
    return (fromEnv === undefined ? spec.default : spec.parse(fromEnv)) as number;
  };
  t.ok(setting('shutdownDelay') >= 5000, 'the pod keeps serving while its endpoint removal spreads (5 s or more)');
  t.ok(
    pod.terminationGracePeriodSeconds * 1000 >= setting('shutdownDelay') + setting('shutdownTimeout') + 5000,
    `terminationGracePeriodSeconds (${pod.terminationGracePeriodSeconds} s) has room for shutdownDelay + shutdownTimeout and a margin`,
  );
  for (const webhook of webhookConfig.webhooks as Obj[]) {
    t.ok(setting('evalTimeout') < webhook.timeoutSeconds * 1000, `${webhook.name}: an evaluation ends before the API server stops waiting`);
  }
});

t.test('every WASMGATE_ variable of the Deployment is a setting, with a valid value', async (t) => {
  const byEnv = new Map(optionSpecs.map((s) => [envName(s.key), s]));
  for (const { name, value } of container.env as { name: string; value: string }[]) {
    const spec = byEnv.get(name);
    t.ok(spec, `${name} is a wasmgate setting`);
    if (spec) t.doesNotThrow(() => spec.parse(value), `${name}=${value}`);
  }
  const mounts = new Map((container.volumeMounts as Obj[]).map((m) => [m.name, m.mountPath]));
  const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
  t.equal(env.WASMGATE_TLS_CERT_FILE, `${mounts.get('tls')}/tls.crt`);
  t.equal(env.WASMGATE_DATA_FILE, `${mounts.get('policy-data')}/data.yaml`);
  const serving = docs.find((d) => d.kind === 'Certificate' && !d.spec.isCA)!;
  t.equal(pod.volumes.find((v: Obj) => v.name === 'tls').secret.secretName, serving.spec.secretName, 'the serving certificate is mounted');
  t.ok(serving.spec.dnsNames.includes(`${one('Service').metadata.name}.wasmgate-system.svc`), 'for the Service name');
});

t.test('the webhook configuration is one the API server can rely on', async (t) => {
  const service = one('Service');
  const defaults = Object.fromEntries(optionSpecs.map((s) => [s.key, s.default]));
  for (const webhook of webhookConfig.webhooks as Obj[]) {
    t.same(webhook.admissionReviewVersions, ['v1', 'v1beta1'], `${webhook.name}: both review versions`);
    t.equal(webhook.sideEffects, 'None');
    t.equal(webhook.failurePolicy, 'Fail');
    t.equal(webhook.timeoutSeconds, 3);
    t.equal(webhook.matchPolicy, 'Equivalent');
    t.match(webhook.clientConfig.service, { name: service.metadata.name, namespace: service.metadata.namespace, path: defaults.path, port: 443 });
    for (const rule of webhook.rules as Obj[]) {
      t.notOk(rule.resources.includes('*') || rule.resources.some((r: string) => r.startsWith('*')), `${webhook.name}: no wildcard resources`);
      t.notOk(rule.apiGroups.includes('*'), `${webhook.name}: no wildcard groups`);
      t.notOk(rule.operations.includes('*'), `${webhook.name}: no wildcard operations`);
    }
    t.notOk(
      webhook.namespaceSelector.matchExpressions.some((e: Obj) => e.operator === 'In' && e.values.includes('wasmgate-system')),
      `${webhook.name}: never decides on wasmgate's own namespace`,
    );
  }
  const [policies, system] = webhookConfig.webhooks as Obj[];
  t.same(policies!.namespaceSelector.matchExpressions, [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['wasmgate-system'] }]);
  const resources = (policies!.rules as Obj[]).flatMap((r) => r.resources as string[]);
  for (const r of ['pods', 'pods/ephemeralcontainers', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'replicationcontrollers', 'podtemplates', 'networkpolicies', 'globalnetworkpolicies']) {
    t.ok(resources.includes(r), `rules cover ${r}`);
  }
  const data = readDataFile(dataFile) as { config: { systemNamespaces: string[] } };
  t.same(system!.namespaceSelector.matchExpressions[0].values, data.config.systemNamespaces, 'the system-namespaces webhook matches config.systemNamespaces');
  const serving = docs.find((d) => d.kind === 'Certificate' && !d.spec.isCA)!;
  t.equal(
    webhookConfig.metadata.annotations['cert-manager.io/inject-ca-from'],
    `${serving.metadata.namespace}/${serving.metadata.name}`,
    'cert-manager injects the CA of the serving certificate',
  );
  t.equal(docs.find((d) => d.kind === 'Issuer' && d.metadata.name === serving.spec.issuerRef.name)?.spec.ca?.secretName, 'wasmgate-ca', 'which a CA signs');
});

t.test('the mutating webhook: pods on CREATE, reinvoked if needed, like the validating one otherwise', async (t) => {
  const defaults = Object.fromEntries(optionSpecs.map((s) => [s.key, s.default]));
  const [validating] = webhookConfig.webhooks as Obj[];
  t.equal(mutatingConfig.webhooks.length, 1);
  const [webhook] = mutatingConfig.webhooks as Obj[];
  t.equal(webhook.name, 'pod-security.wasmgate.io');
  for (const key of ['admissionReviewVersions', 'sideEffects', 'failurePolicy', 'timeoutSeconds', 'matchPolicy', 'namespaceSelector']) {
    t.same(webhook[key], validating![key], `${key} as the validating webhook's`);
  }
  t.same(webhook.clientConfig.service, { ...validating!.clientConfig.service, path: defaults.mutatePath }, 'the same Service, at the mutating path');
  t.equal(webhook.reinvocationPolicy, 'IfNeeded', 'called again after a later webhook changes the pod');
  t.same(webhook.rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }], 'PSP defaulted pods on create only');
  t.same(mutatingConfig.metadata.annotations, webhookConfig.metadata.annotations, 'cert-manager injects the same CA');
});

t.test('the compiled policies accept deploy/data.yaml and the Deployment itself', async (t) => {
  // Fails when the policies grow a required setting that deploy/data.yaml lacks: update it from policies/data.yaml.
  const review = synthesizeReview(deployment, { uid: 'deploy-test', user: 'platform-admin' });
  const compiled = new PolicyEvaluator(await loadBundle(), { data: readDataFile(dataFile) });
  t.equal(compiled.decide(review).allowed, true, 'admitted by the compiled policies');
  // The default set finds nothing at all (a warn policy an author added may find something).
  const shipped = new PolicyEvaluator(await loadBundle(await shippedBundle()), { data: readDataFile(dataFile) });
  t.same(shipped.decide(review).violations, [], 'no violation of any kind');
});

t.test('the pods the Deployment creates pass the default policies, as mutated and then validated', async (t) => {
  const evaluator = new PolicyEvaluator(await loadBundle(await shippedBundle()), { data: readDataFile(dataFile) });
  const namespace = deployment.metadata.namespace;
  const created = { apiVersion: 'v1', kind: 'Pod', metadata: { ...deployment.spec.template.metadata, name: 'wasmgate-pod', namespace }, spec: pod };
  // As the ReplicaSet controller creates it: the API server's review of a new Pod.
  const controller = { uid: 'deploy-pod', user: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] };
  const review = (object: Record<string, unknown>) => synthesizeReview(object, controller);
  const mutation = evaluator.mutate(review(created));
  t.equal(mutation.profile, 'wasmgate', 'the PodSecurityPolicy made for it admits it (restricted allows no seccomp profile)');
  const decision = evaluator.decide(review(applyJsonPatch(created, mutation.patch)));
  t.same(decision.violations, [], 'no violation of any kind once defaulted');
  t.equal(evaluator.mutate(review(applyJsonPatch(created, mutation.patch))).patch.length, 0, 'and nothing more to default');
});

t.test('the webhook runs with its heap flags wherever it starts: the image, the Deployment, npm start', async (t) => {
  const dockerfile = readFileSync(join(deployDir, 'Dockerfile'), 'utf8');
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as unknown;
  t.same(entrypoint, ['/nodejs/bin/node', ...serveNodeFlags, '/app/dist/cli/main.js'], "the image's entrypoint");
  t.equal(container.command, undefined, "the Deployment runs the image's entrypoint, flags included");
  const { scripts } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.equal(scripts.start, `npm run build && node ${serveNodeFlags.join(' ')} dist/cli/main.js serve`, 'npm start');
  // Node accepts them and V8 sizes its heap by them.
  const run = spawnSync(process.execPath, [...serveNodeFlags, '-e', 'console.log(JSON.stringify(require("v8").getHeapStatistics()))'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const limitMiB = (JSON.parse(run.stdout) as { heap_size_limit: number }).heap_size_limit / 2 ** 20;
  // The limit is the old generation's plus the young one's: 512 + 3 × 2 MiB (with V8's default semi-spaces, 512 + 48).
  t.ok(limitMiB >= 512 && limitMiB < 530, `a heap limit of 512 MiB and a young generation of a few MiB (${Math.round(limitMiB)} MiB)`);
});
