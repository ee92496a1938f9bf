import fc from 'fast-check';
import yaml from 'js-yaml';
import t from 'tap';
import { expandedSize, manifestsOf, parseYamlStream, pathSegments } from '../../dist/manifests/index.js';

const stream = `# header comment
# expect: deny
apiVersion: v1
kind: Pod
metadata:
  name: a
spec:
  containers:
    - name: c
      image: x
  # trailing comment of the first document
---
---
# expect: allow
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
...
--- |
  a scalar
`;

t.test('documents keep their index, start line and the comments above them', async (t) => {
  const { documents, error } = parseYamlStream(stream, 'f.yaml');
  t.equal(error, undefined);
  t.same(
    documents.map((d) => [d.index, d.line]),
    [
      [0, 3],
      [1, 13],
      [2, 15],
      [3, 19],
    ],
    'the empty document between two --- counts',
  );
  t.same(documents[0]!.comments, ['# header comment', '# expect: deny']);
  t.same(documents[2]!.comments, ['# expect: allow'], 'a comment inside the previous document stops nowhere it should not');
  t.equal(documents[1]!.value, null);
  t.equal(documents[3]!.value, 'a scalar\n');
});

t.test('collections inside a document know their line', async (t) => {
  const [doc] = parseYamlStream(stream, 'f.yaml').documents;
  const pod = doc!.value as { metadata: object; spec: { containers: object[] } };
  t.equal(doc!.lineOf(pod), 3);
  t.equal(doc!.lineOf(pod.metadata), 5, 'a nested mapping is on the line of its key');
  t.equal(doc!.lineOf(pod.spec.containers), 8);
  t.equal(doc!.lineOf(pod.spec.containers[0]!), 9, 'a sequence item is on the line of its dash');
});

t.test('YAML 1.1 scalars read as kubectl reads them', async (t) => {
  const [doc] = parseYamlStream(
    'a: yes\nb: off\nc: 0644\nd: 0x1F\ne: 2024-01-01\nf: "yes"\ng: 08\nh: 1_000\ni: true\nj: ~\nk: 1.5\nl: -012\nm: Y\n',
    'x.yaml',
  ).documents;
  t.same(doc!.value, { a: true, b: false, c: 420, d: 31, e: '2024-01-01', f: 'yes', g: 8, h: 1000, i: true, j: null, k: 1.5, l: -10, m: true });
});

t.test('merge keys and anchors work', async (t) => {
  const [doc] = parseYamlStream('base: &b {x: 1}\nderived:\n  <<: *b\n  z: 2\n', 'm.yaml').documents;
  t.same(doc!.value, { base: { x: 1 }, derived: { x: 1, z: 2 } });
  // kubectl's YAML 1.1 reader turns the key y into the boolean true, which JSON spells "true".
  t.same(parseYamlStream('y: 1\n', 'k.yaml').documents[0]!.value, { true: 1 });
});

t.test('a syntax error names its line and keeps the documents before it', async (t) => {
  const { documents, error } = parseYamlStream('a: 1\n---\nb: 2\n---\nc: [1,\n  d: }\n', 'bad.yaml');
  t.same(
    documents.map((d) => d.value),
    [{ a: 1 }, { b: 2 }],
  );
  t.ok(error);
  t.equal(error!.line, 6);
  t.match(error!.message, /flow/);
});

t.test('an error right after a document drops that document (its tail is broken)', async (t) => {
  const { documents, error } = parseYamlStream('a: 1\n---\nb: 2\n c: 3\n', 'bad.yaml');
  t.same(documents.map((d) => d.value), [{ a: 1 }]);
  t.equal(error!.line, 4);
});

t.test('List items become manifests with their own line and item index', async (t) => {
  const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: b}
- 42
`;
  const { manifests, problems } = manifestsOf('dump.yaml', text);
  t.same(
    manifests.map((m) => m.source),
    [
      { file: 'dump.yaml', line: 4, document: 0, item: 0 },
      { file: 'dump.yaml', line: 7, document: 0, item: 1 },
    ],
  );
  t.same(problems.map((p) => [p.line, p.item]), [[1, 2]]);
  t.match(problems[0]!.message, /item 2 of the List is not a Kubernetes object/);
});

t.test('scalars and sequences as documents are problems, empty documents are skipped', async (t) => {
  const { manifests, problems } = manifestsOf('odd.yaml', '---\n- a\n---\njust text\n---\n---\nkind: X\n');
  t.equal(manifests.length, 1);
  t.same(problems.map((p) => p.document), [0, 1], 'a leading --- opens document 0, not an empty one before it');
});

t.test('a field path points at the field itself, or at the missing key’s parent', async (t) => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: a
        image: a
      - name: b
        image: b
`;
  const [m] = manifestsOf('d.yaml', text).manifests;
  t.equal(m!.lineOf('spec.template.spec.containers[1].image'), 12, 'the line of image, not of its container');
  t.equal(m!.lineOf('spec.template.spec.containers[1].name'), 11);
  t.equal(m!.lineOf('spec.template.spec.containers[0]'), 9);
  t.equal(m!.lineOf('metadata.labels.team'), 3, 'a missing field points at its nearest existing parent');
  t.equal(m!.lineOf('spec.template.spec.containers[0].securityContext.privileged'), 9, 'the container of a missing securityContext');
  t.equal(m!.lineOf('spec.template.spec.containers[7].image'), 8, 'past the last item: the list');
  t.equal(m!.lineOf(''), 1);
  t.same(pathSegments('metadata.labels["app.kubernetes.io/name"]'), ['metadata', 'labels', 'app.kubernetes.io/name']);
  t.same(pathSegments('a[0][12].b'), ['a', 0, 12, 'b']);
});

t.test('JSON files parse with positions too', async (t) => {
  const { manifests } = manifestsOf('p.json', '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "j"}\n}\n');
  t.equal(manifests.length, 1);
  t.equal(manifests[0]!.source.line, 1);
});

t.test('any stream of mappings round-trips with indexes and lines', async (t) => {
  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
  const scalar = fc.oneof(fc.integer(), fc.stringMatching(/^[a-z][a-z ]{0,10}[a-z]$/), fc.constant(null));
  const object = fc.dictionary(key, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(key, scalar, { maxKeys: 3 })), {
    minKeys: 1,
    maxKeys: 5,
  });
  fc.assert(
    fc.property(fc.array(object, { minLength: 1, maxLength: 6 }), fc.boolean(), (objects, comments) => {
      const parts = objects.map((o, i) => `${comments ? `# doc ${i}\n` : ''}${yaml.dump(o)}`);
      const text = parts.join('---\n');
      const { documents, error } = parseYamlStream(text, 'gen.yaml');
      if (error) return false;
      if (documents.length !== objects.length) return false;
      let line = 1;
      return documents.every((d, i) => {
        const expectedLine = line + (comments ? 1 : 0);
        line += parts[i]!.split('\n').length - 1 + 1; // the document's lines, then its ---
        return (
          d.index === i &&
          d.line === expectedLine &&
          JSON.stringify(d.value) === JSON.stringify(objects[i]) &&
          (!comments || d.comments.join() === `# doc ${i}`)
        );
      });
    }),
    { numRuns: 200 },
  );
  t.pass('200 generated streams');
});

t.test('alias bombs and self-references are problems, not a hung run', async (t) => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
  const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
  const { manifests, problems } = manifestsOf('bomb.yaml', `${bomb}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop}\ndata: &d {self: *d}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: fine}\n`);
  t.same(manifests.map((m) => (m.object.metadata as { name: string }).name), ['fine']);
  t.same(problems.map((p) => p.document), [0, 1]);
  t.match(problems[0]!.message, /refers to itself or expands to more than 1000000 values through YAML aliases/);
  const shared = { x: [1, 2, 3] };
  t.equal(expandedSize({ a: shared, b: shared }), 1 + 2 * (1 + 1 + 3), 'a shared node counts once per use, as JSON writes it');
});

t.test('lines of scalar fields: block, flow, JSON, values on the next line, and inside an AdmissionReview', async (t) => {
  const pod = `apiVersion: v1
kind: Pod
metadata: {name: p, labels: {team: a,
  app: b}}
spec:
  containers:
  - name: c
    securityContext:
      runAsUser: 0

      privileged: true
    image:
      nginx
    ports: [{containerPort: 80}, {containerPort: 81,
      hostPort: 81}]
`;
  const [m] = manifestsOf('p.yaml', pod).manifests;
  t.equal(m!.lineOf('spec.containers[0].securityContext.privileged'), 11, 'privileged on its own line, not its securityContext');
  t.equal(m!.lineOf('spec.containers[0].image'), 12, 'a value on the next line: the line of its key');
  t.equal(m!.lineOf('metadata.labels.app'), 4);
  t.equal(m!.lineOf('spec.containers[0].ports[1].hostPort'), 15);
  t.equal(m!.lineOf('spec.containers[0].ports[1]'), 14);
  const json = manifestsOf('p.json', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } }, null, 2)).manifests[0]!;
  t.equal(json.lineOf('spec.containers[0].image'), 11);
  const review = `apiVersion: admission.k8s.io/v1
kind: AdmissionReview
request:
  uid: u
  kind: {group: "", version: v1, kind: Pod}
  operation: CREATE
  object:
    apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers:
      - name: c
        image: evil.io/x
`;
  const [r] = manifestsOf('r.yaml', review).manifests;
  t.equal(r!.lineOf('spec.containers[0].image'), 14, 'paths inside an AdmissionReview start at request.object');
  t.equal(r!.lineOf('metadata.labels'), 10);
});
