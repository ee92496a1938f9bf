import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseYamlStream } from '../../dist/manifests/index.js';
import { kubectlReads, kubectlYamlTool } from '../helpers/kubectl-yaml.js';

// Differential test: every text is read by wasmgate and by kubectl's own decoder (scripts/kubectl-yaml:
// apimachinery's YAMLOrJSONDecoder over sigs.k8s.io/yaml and goyaml.v2, as `kubectl apply -f` reads
// files). Both must refuse the same texts, and read the others into the same JSON.
const cases: Record<string, string> = {
  'an unrendered template as a key': 'apiVersion: v1\nkind: ConfigMap\n{{ .Values.extra }}: 1\n',
  'an unrendered template as a value': 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: {{ .Values.image }}\n',
  'a template line': 'apiVersion: v1\nkind: ConfigMap\ndata:\n  {{- range .Values.keys }}\n  a: b\n',
  'a quoted template is a string': 'apiVersion: v1\nkind: ConfigMap\ndata:\n  a: "{{ .Values.x }}"\n',
  'a list as a key': 'a: 1\n[x, y]: 2\n',
  'a mapping as a key in a flow mapping': 'a: {b, c: 1, {d}: 2}\n',
  'an explicit list key': '? [x]\n: 3\n',
  'an explicit scalar key': '? x\n: 3\n',
  'an alias to a mapping as a key': 'a: &m {b: 1}\n*m : 2\n',
  'a null key': '~: 1\nb: 2\n',
  'an empty key in a flow mapping': 'a: {b: 1, "": 2}\n',
  '.inf': 'a: .inf\n',
  '.nan': 'a: [1, .NaN]\n',
  'a key given twice': 'a: 1\nb: 2\na: 3\n',
  'a nested key given twice': 'spec:\n  containers:\n  - name: a\n    image: x\n    image: y\n',
  'merge keys': 'base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n',
  'YAML 1.1 scalars': 'a: yes\nb: off\nc: 0644\nd: 0x1F\ne: 2024-01-01\nf: "yes"\nh: 1_000\nj: ~\nk: 1.5\nl: -012\nm: Y\nn: 0b101\no: 1e3\np: .5\nq: 1:20\n',
  'YAML 1.1 keys': 'y: 1\nn: 2\non: 3\n1.5: 4\n0x10: 5\n',
  'block scalars': 'a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\n',
  'several documents and empty ones': 'a: 1\n---\n---\n# only a comment\n---\nb: [1, 2]\n...\n',
  'JSON': '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}\n',
  'JSON with a key given twice': '{"a": 1, "a": 2}',
  'flow style at the start (JSON first, then YAML)': '{apiVersion: v1, kind: Pod}\n',
  'a stream of JSON objects': '{"a": 1}\n{"b": [1, {"c": "}"}]}\n\n{"d": "x\\"y"}\n',
  'a stream of JSON objects on one line': '{"a": 1} {"b": 2}',
  'JSON objects then YAML': '{"a": 1}\n---\nb: 2\n',
  'a syntax error': 'a: [1,\n  b: }\n',
  'tags kubectl does not know': 'a: !foo 12\nb: !foo {x: 1}\nc: !foo [1, true]\ne: !bar yes\ng: !<tag:example.com,2000:x> 5\nh: !foo\n',
  'standard tags': 'a: !!str 12\nb: !!int "12"\nc: !!binary aGVsbG8=\nd: !!float 1\ne: !!map {x: 1}\nf: !!seq [1]\n',
  'quoted keys and colons': '"a:b": 1\n\'c\': "d: e"\nf: g:h\n',
};

const tool = kubectlYamlTool();
if (!tool) {
  t.skip('Go is not installed: kubectl\'s decoder cannot be built, so the comparison with it is skipped');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-kubectl-yaml-'));
  const names = Object.keys(cases);
  const files = names.map((name, i) => {
    const path = join(dir, `${i}.yaml`);
    writeFileSync(path, cases[name]!);
    return path;
  });
  const readings = kubectlReads(tool, files);
  names.forEach((name, i) => {
    t.test(name, async (t) => {
      const kubectl = readings[i]!;
      const ours = parseYamlStream(cases[name]!, files[i]!);
      if ('error' in kubectl) {
        t.ok(ours.error, `kubectl refuses it (${kubectl.error}); so must wasmgate`);
      } else {
        t.equal(ours.error, undefined, 'kubectl reads it; so must wasmgate');
        t.same(JSON.parse(JSON.stringify(ours.documents.map((d) => d.value).filter((v) => v !== null))), kubectl.documents, 'the same JSON');
      }
    });
  });
}

t.test('a stream of JSON objects: each a document, on its own lines', async (t) => {
  const { documents, duplicates, error } = parseYamlStream('{"a": 1}\n{\n  "b": {"c": 1, "c": 2}\n}\n', 's.json');
  t.equal(error, undefined);
  t.same(documents.map((d) => [d.index, d.line, d.value]), [[0, 1, { a: 1 }], [1, 2, { b: { c: 2 } }]]);
  t.equal(documents[1]!.lineOfField(documents[1]!.value as object, 'b'), 3);
  t.same(duplicates, [{ document: 1, key: 'c', line: 3, firstLine: 3 }]);
});

t.test('what is refused says what and where', async (t) => {
  const template = parseYamlStream('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: {{ .Values.image }}\n', 'p.yaml');
  t.match(template.error, { line: 6, column: 13, message: /a mapping is used as a mapping key, which kubectl refuses \(is it an unrendered template such as "\{\{ \.Values\.x \}\}"\?\)/ });
  t.equal(template.documents.length, 0);
  const key = parseYamlStream('a: 1\n---\napiVersion: v1\n{{ .x }}: 1\n', 'k.yaml');
  t.match(key.error, { line: 4, message: /used as a mapping key/ });
  t.same(key.documents.map((d) => d.value), [{ a: 1 }], 'the documents before it are kept');
  t.match(parseYamlStream('a:\n  ~: 1\n', 'n.yaml').error, { line: 2, message: /null is used as a mapping key/ });
  t.match(parseYamlStream('a: .inf\n', 'i.yaml').error, { line: 1, column: 4, message: /\.inf is not a number JSON can hold/ });
  const twice = parseYamlStream('a: 1\nb:\n  c: 2\n  c: 3\n', 'd.yaml');
  t.same(twice.documents[0]!.value, { a: 1, b: { c: 3 } }, 'the later value, as kubectl');
  t.same(twice.duplicates, [{ document: 0, key: 'c', line: 4, firstLine: 3 }]);
});
