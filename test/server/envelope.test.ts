// Both endpoints read each review from its envelope (the body parsed once, in the WASM
// module), in the server's own thread and on a worker; a server whose bundle lacks the envelope parses
// it in JavaScript, as every server did before: the same answers and the same log lines, for every
// project fixture and for bodies that are not reviews.
import { join } from 'node:path';
import t from 'tap';
import { entrypoints, prepareEntrypoint } from '../../dist/engine/index.js';
import { loadFixtures } from '../../dist/harness/fixtures.js';
import { opaBundleWithoutEnvelope, projectFixtureDirs, repoRoot } from '../helpers/policies.js';
import { admit, recorded, startServer, type Running } from './helpers.js';

const bundle = join(repoRoot, 'wasm');

// policies/ compiled by OPA alone, without the envelope: the oracle.
const oracleBundle = await opaBundleWithoutEnvelope(join(repoRoot, 'policies'), [...Object.values(entrypoints), prepareEntrypoint]);

/** The decision and mutation lines of a server's log, without what differs from run to run. */
function decisionLines(s: Running): Record<string, unknown>[] {
  return s.logs
    .filter((l) => typeof l.msg === 'string' && (l.msg.startsWith('admission ') || l.msg.startsWith('mutation ')))
    .map(({ time, durationMs, pid, hostname, revision, ...rest }) => rest);
}

const base = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' };
const request = { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, resource: { group: '', version: 'v1', resource: 'configmaps' }, namespace: 'team-a', userInfo: { username: 'bob' } };

/** A DELETE whose namespace holds the byte 0xff, which no UTF-8 text does. */
function notUtf8(): Buffer {
  const body = Buffer.from(JSON.stringify({ ...base, request: { ...request, operation: 'DELETE', namespace: 'nX' } }));
  body[body.indexOf('nX') + 1] = 0xff;
  return body;
}

/** Bodies that are not reviews wasmgate decides, or that stretch what a parser reads. */
const odd: [string, string | Buffer][] = [
  ['not JSON', '{"kind": "AdmissionReview", '],
  ['not an object', '[1, 2]'],
  ['no kind', '{}'],
  ['no request', JSON.stringify(base)],
  ['a request that is a number', JSON.stringify({ ...base, request: 5 })],
  ['no uid', JSON.stringify({ ...base, request: { ...request, uid: '' } })],
  ['CREATE without its object', JSON.stringify({ ...base, request: { ...request, operation: 'CREATE' } })],
  ['CREATE with an array for its object', JSON.stringify({ ...base, request: { ...request, operation: 'CREATE', object: [1] } })],
  ['a DELETE named by its old object', JSON.stringify({ ...base, request: { ...request, operation: 'DELETE', object: null, oldObject: { metadata: { generateName: 'web-' }, data: { a: 'b' } } } })],
  ['a CREATE named by generateName', JSON.stringify({ ...base, request: { ...request, operation: 'CREATE', object: { kind: 'ConfigMap', metadata: { generateName: 'cm-', namespace: 'team-a' } } } })],
  ['a name that is not a string', JSON.stringify({ ...base, request: { ...request, operation: 'CREATE', object: { kind: 'ConfigMap', metadata: { name: 7 } } } })],
  ['userInfo that is not an object', JSON.stringify({ ...base, request: { ...request, operation: 'DELETE', userInfo: 'x' } })],
  ['bytes that are not UTF-8 in a string', notUtf8()],
  ['a key given twice', `{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": ${JSON.stringify({ ...request, operation: 'DELETE' }).replace('"uid":"u-1"', '"uid": "first", "uid": "second"')}}`],
  ['a number too large for a double', `{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": ${JSON.stringify({ ...request, operation: 'CREATE', object: { kind: 'ConfigMap', metadata: { name: 'big' } } }).replace('"uid"', '"big": 1e400, "uid"')}}`],
];

t.test("read from its envelope, in the server's thread or on a worker, every review is answered and logged as when parsed here", async (t) => {
  const servers = await Promise.all([startServer({ bundle, workers: '0' }), startServer({ bundle, workers: '1' }), startServer({ bundle: oracleBundle, workers: '1' })]);
  t.teardown(() => Promise.all(servers.map((s) => s.stop())));
  const [inThread, pooled, oracle] = servers as [Running, Running, Running];
  t.same(servers.map((s) => s.server.policy.current.engine.readsEnvelopes), [true, true, false], 'which of them read envelopes');
  const { cases } = await loadFixtures(projectFixtureDirs());
  const bodies: [string, string | Buffer][] = [...cases.map((c) => [`${c.source.file}#${c.source.document}`, JSON.stringify(c.review)] as [string, string]), ...odd];
  for (const [what, body] of bodies) {
    for (const path of ['/validate', '/mutate']) {
      const [ours, onWorker, theirs] = await Promise.all(servers.map((s) => admit(s.port, s.ca, body, { path })));
      const expected = { status: theirs!.status, text: theirs!.text };
      t.same({ status: ours!.status, text: ours!.text }, expected, `${what}, ${path}: the same answer in the server's thread`);
      t.same({ status: onWorker!.status, text: onWorker!.text }, expected, `${what}, ${path}: the same answer from a worker`);
    }
  }
  await recorded();
  t.ok(decisionLines(oracle).some((l) => l.mutation === 'patched'), 'some reviews were patched');
  t.same(decisionLines(inThread), decisionLines(oracle), 'the same decision and mutation lines in the server\'s thread');
  t.same(decisionLines(pooled), decisionLines(oracle), 'the same decision and mutation lines from a worker');
  const names = decisionLines(inThread).map((l) => l.name);
  t.ok(names.includes('web-*') && names.includes('cm-*'), 'objects named by generateName are logged by it');
});

t.test('the body is parsed in JavaScript only without the envelope', async (t) => {
  const servers = await Promise.all([startServer({ bundle, workers: '0' }), startServer({ bundle, workers: '1' }), startServer({ bundle: oracleBundle, workers: '1' })]);
  t.teardown(() => Promise.all(servers.map((s) => s.stop())));
  const body = JSON.stringify({ ...base, request: { ...request, operation: 'CREATE', object: { kind: 'ConfigMap', metadata: { name: 'big', annotations: { filler: 'x'.repeat(20_000) } } } } });
  const parse = JSON.parse;
  let wholeParses = 0;
  JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
    if (typeof text === 'string' && text.length >= body.length) wholeParses++;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  t.teardown(() => void (JSON.parse = parse));
  for (const path of ['/validate', '/mutate']) {
    const parses = [];
    for (const s of servers) {
      const before = wholeParses;
      t.equal((await admit(s.port, s.ca, body, { path })).status, 200);
      parses.push(wholeParses - before);
    }
    t.same(parses, [0, 0, 1], `${path}: none in the server's thread, none with a worker, one for a bundle without the envelope`);
  }
});

t.test('with log.objects the review is read whole, objects and all', async (t) => {
  const s = await startServer({ bundle, workers: '0', logObjects: true });
  t.teardown(() => s.stop());
  const object = { kind: 'ConfigMap', metadata: { name: 'whole', namespace: 'team-a', labels: { team: 'a' } } };
  const reply = await admit(s.port, s.ca, { ...base, request: { ...request, operation: 'CREATE', name: 'whole', object } });
  t.equal(reply.status, 200);
  await recorded();
  t.same(decisionLines(s)[0]?.object, object, 'the object is in the log line');
});
