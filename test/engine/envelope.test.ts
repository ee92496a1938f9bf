// Engine.decideReview: the body parsed once, in the WASM module, for the review's envelope
// (src/toolchain/envelope.rego: what the host reads of it) and the decision, in the calling thread and
// on a worker; the same decisions as evaluate, and envelopes as the oracle below makes them.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { Engine, entrypoints } from '../../dist/engine/index.js';
import { isWasmgateError } from '../../dist/errors.js';
import { loadFixtures } from '../../dist/harness/fixtures.js';
import { opaBundleWithoutEnvelope, projectFixtureDirs, repoRoot } from '../helpers/policies.js';

const shipped = join(repoRoot, 'wasm');
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What src/toolchain/envelope.rego should make of a review, written again here as the test's oracle. */
function expectedEnvelope(review: Record<string, unknown>): unknown {
  const pick = (o: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
  if (!isObject(review.request)) return pick(review, ['apiVersion', 'kind', 'request']);
  const stub = (v: unknown) => {
    if (!isObject(v)) return v;
    if (!isObject(v.metadata)) return {};
    return { metadata: pick(v.metadata, ['name', 'generateName']) };
  };
  const { request } = review;
  return {
    ...pick(review, ['apiVersion', 'kind']),
    request: {
      ...pick(request, ['uid', 'kind', 'operation', 'namespace', 'name', 'subResource', 'dryRun']),
      ...('object' in request ? { object: stub(request.object) } : {}),
      ...('oldObject' in request ? { oldObject: stub(request.oldObject) } : {}),
      ...('userInfo' in request ? { userInfo: isObject(request.userInfo) ? pick(request.userInfo, ['username']) : request.userInfo } : {}),
    },
  };
}

t.test('decideReview: one parse for the envelope and the decision, the same decision as evaluate', async (t) => {
  const engine = await Engine.load({ bundle: shipped, workers: 0 });
  const pooled = await Engine.load({ bundle: shipped, workers: 1 });
  t.teardown(() => Promise.all([engine.close(), pooled.close()]));
  t.ok(engine.readsEnvelopes && pooled.readsEnvelopes, 'the shipped bundle has the envelope, in the calling thread and on a worker');
  const { cases } = await loadFixtures(projectFixtureDirs());
  for (const c of cases) {
    const where = `${c.source.file}#${c.source.document}`;
    const body = Buffer.from(JSON.stringify(c.review));
    const expected = expectedEnvelope(c.review as Record<string, unknown>);
    const decision = await engine.evaluate(body);
    const mutation = await engine.mutate(body);
    for (const [which, e] of [['in the calling thread', engine], ['on a worker', pooled]] as const) {
      const envelopes: unknown[] = [];
      const seen = (envelope: unknown) => envelopes.push(envelope) > 0;
      t.same(await e.decideReview(body, seen), decision, `${where}: the same decision ${which}`);
      t.same(await e.mutateReview(body, seen), mutation, `${where}: the same mutation ${which}`);
      t.same(envelopes, [expected, expected], `${where}: its envelope, once each, ${which}`);
    }
    t.equal(body.toString(), JSON.stringify(c.review), `${where}: the bytes stay the caller's`);
  }
  const first = Buffer.from(JSON.stringify(cases[0]!.review));
  t.equal(await pooled.decideReview(first, () => false), undefined, 'a worker\'s review refused by the check has no decision');
  t.equal(await pooled.mutateReview(first, () => false), undefined, 'nor a mutation');
  t.equal(await engine.mutateReview(first, () => false), undefined, 'nor in the calling thread');
  const named = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'd', operation: 'DELETE', userInfo: { username: 'bob', groups: ['g'] }, object: null, oldObject: { metadata: { generateName: 'web-', labels: { a: 'b' } }, spec: { x: 1 } }, extra: [1] },
    more: 'left out',
  };
  let seen: unknown;
  await engine.decideReview(Buffer.from(JSON.stringify(named)), (e) => ((seen = e), true));
  t.strictSame(
    seen,
    { apiVersion: named.apiVersion, kind: named.kind, request: { uid: 'd', operation: 'DELETE', userInfo: { username: 'bob' }, object: null, oldObject: { metadata: { generateName: 'web-' } } } },
    'only what the host reads: null stays null, an object keeps only its names, userInfo its username',
  );
  for (const [text, envelope] of [['[1, 2]', undefined], ['{"request": 5}', { request: 5 }], ['{"request": {"object": {"spec": {}}}}', { request: { object: {} } }], ['{"request": 5, "spec": 1}', { request: 5 }], ['{"request": {"userInfo": "x"}}', { request: { userInfo: 'x' } }]] as const) {
    let got: unknown = 'not called';
    await engine.decideReview(Buffer.from(text), (e) => ((got = e), true));
    t.same(got, envelope, `the envelope of ${text}`);
  }
  let decided = false;
  t.equal(await engine.decideReview(Buffer.from(JSON.stringify(named)), () => false), undefined, 'a refused review has no decision');
  t.ok(isWasmgateError(await errorOf(engine.decideReview(Buffer.from('{"kind": '), () => (decided = true))), 'INPUT_INVALID'), 'a body that is not JSON is refused by the module');
  t.notOk(decided, 'before any check');
});

t.test('decideReview needs a bundle with the envelope', async (t) => {
  const tarball = await opaBundleWithoutEnvelope(join(repoRoot, 'test', 'server', 'policies', 'echo'), Object.values(entrypoints));
  t.teardown(() => rmSync(dirname(tarball), { recursive: true, force: true }));
  const engine = await Engine.load({ bundle: tarball, workers: 0 });
  t.teardown(() => engine.close());
  const pooled = await Engine.load({ bundle: tarball, workers: 1 });
  t.teardown(() => pooled.close());
  for (const e of [engine, pooled]) {
    t.notOk(e.readsEnvelopes);
    t.ok(isWasmgateError(await errorOf(e.decideReview(Buffer.from('{}'), () => true)), 'CONFIG_INVALID'));
    t.same(await e.evaluate({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'plain', object: {} } }), { allowed: true, violations: [] }, 'it decides as before');
  }
});
