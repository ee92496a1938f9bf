import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildCache } from '../../dist/toolchain/build-cache.js';

const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `wasmgate-build-cache-${name}-`));
const files = ['policy.wasm', 'data.json'];

function outDirWith(contents: Record<string, string>): string {
  const dir = tempDir('out');
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
  return dir;
}

t.test('a stored build comes back byte for byte into another directory; an unknown fingerprint does not', async (t) => {
  const cache = buildCache(tempDir('cache'), files);
  cache.store('f1', outDirWith({ 'policy.wasm': 'module one', 'data.json': '{"a":1}' }));
  const into = join(tempDir('restore'), 'nested', 'out');
  t.equal(cache.restore('f1', into), true);
  t.equal(readFileSync(join(into, 'policy.wasm'), 'utf8'), 'module one');
  t.equal(readFileSync(join(into, 'data.json'), 'utf8'), '{"a":1}');
  t.equal(cache.restore('f2', tempDir('other')), false, 'another fingerprint is a miss');
});

t.test('an entry missing one of its files is a miss, not half a build', async (t) => {
  const cacheDir = tempDir('cache');
  mkdirSync(join(cacheDir, 'f1'));
  writeFileSync(join(cacheDir, 'f1', 'policy.wasm'), 'module');
  const into = tempDir('restore');
  t.equal(buildCache(cacheDir, files).restore('f1', into), false);
  t.same(readdirSync(into), [], 'nothing copied');
});

t.test('the cache keeps the 48 entries used last, a hit counting as a use, and leaves no partial entry behind', async (t) => {
  const cacheDir = tempDir('cache');
  const cache = buildCache(cacheDir, files);
  const old = new Date('2020-01-01T00:00:00Z');
  for (let i = 0; i < 50; i++) {
    const name = `old-${String(i).padStart(2, '0')}`;
    mkdirSync(join(cacheDir, name));
    utimesSync(join(cacheDir, name), old, new Date(old.getTime() + i * 1000));
  }
  // The oldest of them, used now: it stays.
  for (const f of files) writeFileSync(join(cacheDir, 'old-00', f), f);
  t.equal(cache.restore('old-00', tempDir('restore')), true);
  cache.store('new', outDirWith({ 'policy.wasm': 'm', 'data.json': '{}' }));
  const kept = readdirSync(cacheDir);
  t.equal(kept.length, 48);
  t.ok(kept.includes('new') && kept.includes('old-00'), 'the entries used last');
  t.notOk(kept.includes('old-01') || kept.includes('old-02'), 'the oldest of the rest are gone');
  t.notOk(kept.some((name) => name.includes('partial')), 'the partial entry was renamed into place');
});

t.test('a cache that cannot be written costs nothing but time', async (t) => {
  const file = join(tempDir('cache'), 'not-a-dir');
  writeFileSync(file, '');
  const cache = buildCache(join(file, 'builds'), files);
  t.doesNotThrow(() => cache.store('f1', outDirWith({ 'policy.wasm': 'm', 'data.json': '{}' })));
  t.equal(cache.restore('f1', tempDir('restore')), false);
  t.notOk(existsSync(join(file, 'builds')));
});
