import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readManifests } from '../../dist/manifests/index.js';

const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n`;

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-read-'));
  mkdirSync(join(dir, 'b', 'deep'), { recursive: true });
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, 'a.yaml'), `${pod('a1')}---\n${pod('a2')}`);
  writeFileSync(join(dir, 'b', 'c.yml'), pod('c'));
  writeFileSync(join(dir, 'b', 'deep', 'd.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'd' } }));
  writeFileSync(join(dir, 'b', 'notes.txt'), 'not a manifest');
  writeFileSync(join(dir, '.git', 'x.yaml'), pod('hidden'));
  writeFileSync(join(dir, 'broken.yaml'), `${pod('before')}---\nmetadata: {name: [\n`);
  return dir;
}

const names = (set: Awaited<ReturnType<typeof readManifests>>) =>
  set.manifests.map((m) => (m.object.metadata as { name: string }).name);

t.test('a directory is read recursively: .yaml, .yml, .json, in name order, hidden entries skipped', async (t) => {
  const dir = tree();
  const set = await readManifests([dir]);
  t.same(names(set), ['a1', 'a2', 'c', 'd', 'before']);
  t.same(set.files, ['a.yaml', join('b', 'c.yml'), join('b', 'deep', 'd.json'), 'broken.yaml'].map((f) => join(dir, f)));
  t.equal(set.problems.length, 1, 'the syntax error is the only problem');
  t.match(set.problems[0], { file: join(dir, 'broken.yaml'), line: 6, message: /YAML syntax error/ });
});

t.test('files are read even without a manifest extension when named; missing paths are problems', async (t) => {
  const dir = tree();
  const set = await readManifests([join(dir, 'b', 'c.yml'), join(dir, 'nope.yaml'), join(dir, 'a.yaml')]);
  t.same(names(set), ['c', 'a1', 'a2']);
  t.same(set.problems.map((p) => [p.file, p.message]), [[join(dir, 'nope.yaml'), 'no such file or directory']]);
});

t.test('- reads standard input once, named <stdin>', async (t) => {
  let reads = 0;
  const set = await readManifests(['-', '-'], {
    readStdin: async () => {
      reads++;
      return `# expect: allow\n${pod('in')}`;
    },
  });
  t.equal(reads, 1);
  t.same(set.manifests.map((m) => [m.source, m.comments]), [[{ file: '<stdin>', line: 2, document: 0 }, ['# expect: allow']]]);
});

t.test('an empty directory is a problem, not silence', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-empty-'));
  const set = await readManifests([dir]);
  t.equal(set.manifests.length, 0);
  t.match(set.problems, [{ file: dir, message: /no \.yaml, \.yml or \.json files/ }]);
});

t.test('kustomize and Helm sources are skipped with a note; --ignore globs leave out more', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-sources-'));
  const put = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  put('base/kustomization.yaml', 'resources: [pod.yaml]\nconfigMapGenerator:\n- name: g\n  files: [settings=data.yaml]\npatches:\n- path: ../overlays/prod/replicas.yaml\npatchesStrategicMerge:\n- memory.yaml\n- |-\n  apiVersion: v1\n  kind: Pod\nconfigurations: [names.yaml]\n');
  put('base/pod.yaml', pod('base'));
  put('base/data.yaml', 'config: {a: 1}\n');
  put('base/memory.yaml', pod('patch'));
  put('base/names.yaml', 'nameReference: []\n');
  put('overlays/prod/replicas.yaml', pod('patch2'));
  put('overlays/prod/Kustomization', 'resources: [../../base]\n');
  put('overlays/prod/transformer.yaml', `apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata: {name: p}\n---\n${pod('beside')}`);
  put('overlays/prod/component.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n');
  put('chart/Chart.yaml', 'apiVersion: v2\nname: web\nversion: 1.0.0\n');
  put('chart/values.yaml', 'image: nginx\n');
  put('chart/templates/pod.yaml', 'image: {{ .Values.image }}\n');
  put('chart/crds/crd.yaml', pod('chart-crd'));
  put('test/pod.yaml', pod('test'));
  put('values-prod.yaml', 'replicas: 3\n');
  const set = await readManifests([dir], { ignore: ['test', 'values-*.yaml'] });
  t.same(names(set), ['base', 'chart-crd', 'beside']);
  t.same(set.problems, [], 'nothing is an input error');
  const notes = (set.notes ?? []).map((n) => [n.file.slice(dir.length + 1), n.message]);
  t.match(notes, [
    ['base/kustomization.yaml', `a kustomization, not a manifest: skipped (decide what it builds: kustomize build ${join(dir, 'base')} | wasmgate eval -)`],
    ['chart/Chart.yaml', /^a Helm chart's metadata, not a manifest: skipped \(decide the rendered chart: helm template .*chart \| wasmgate eval -\)$/],
    ['chart/templates', /^the templates of the Helm chart .*chart are not manifests until rendered: skipped/],
    ['chart/values.yaml', /^a Helm chart's values, not a manifest/],
    ['base/data.yaml', `a kustomize generator's input named by ${join(dir, 'base', 'kustomization.yaml')}, not an object: skipped`],
    ['base/memory.yaml', `a kustomize patch named by ${join(dir, 'base', 'kustomization.yaml')}, not an object: skipped`],
    ['base/names.yaml', /^a kustomize configuration named by .*kustomization\.yaml/],
    ['overlays/prod/replicas.yaml', /^a kustomize patch named by .*base.kustomization\.yaml/],
    ['overlays/prod/component.yaml', 'Component (kustomize.config.k8s.io/v1alpha1) is kustomize configuration, not a manifest: skipped'],
    ['overlays/prod/transformer.yaml', 'PrefixSuffixTransformer (builtin) is kustomize configuration, not a manifest: skipped'],
  ]);
  t.equal(notes.length, 10);
  t.notOk(set.files.some((f) => f.endsWith('kustomization.yaml') || f.includes(`test${'/'}`)), 'skipped and ignored files are not inputs');

  const globs = await readManifests([dir], { ignore: ['overlays/**', 'base/*.yaml', 'chart'] });
  t.same(globs.files.map((f) => f.slice(dir.length + 1)), ['test/pod.yaml', 'values-prod.yaml'], 'a glob with / matches below the directory searched');
  const asFound = await readManifests([join(dir, 'base', 'pod.yaml'), join(dir, 'test', 'pod.yaml')], { ignore: [`${dir}/test/*.yaml`] });
  t.same(names(asFound), ['base'], 'or the path as given');
  const named = await readManifests([join(dir, 'base', 'kustomization.yaml')]);
  t.same([named.manifests.length, named.problems.length, named.notes?.length], [0, 0, 1], 'a kustomization named on the command line is skipped too');
});
