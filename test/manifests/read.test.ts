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
