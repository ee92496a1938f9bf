// The decision and mutation lines name their fields in one order, subResource only when the request has
// one, none twice: the line is one object literal (handlers.ts, requestLine), its undefined fields left out.
import t from 'tap';
import { admit, buildEcho, recorded, review, startServer } from './helpers.js';

const bundle = await buildEcho();
const running = await startServer({ bundle });
const { port, ca, logs } = running;
t.teardown(running.stop);

const requestKeys = ['uid', 'kind', 'group', 'namespace', 'name', 'operation', 'user', 'dryRun'];
const ownKeys = (line: Record<string, unknown>) => Object.keys(line).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg'].includes(k));
const lineOf = (uid: string, msg: string) => logs.find((l) => l.uid === uid && typeof l.msg === 'string' && l.msg.startsWith(msg))!;

t.test('a decision line: the request fields, then what was decided', async (t) => {
  await admit(port, ca, review('plain'));
  const sub = review('sub', {}, { operation: 'UPDATE' });
  await admit(port, ca, { ...sub, request: { ...sub.request, subResource: 'status' } });
  await recorded();
  const decided = ['decision', 'denied', 'warned', 'dryrunViolations', 'durationMs', 'revision'];
  t.strictSame(ownKeys(lineOf('plain', 'admission ')), [...requestKeys, ...decided], 'no subResource when the request has none');
  const withSub = lineOf('sub', 'admission ');
  t.strictSame(ownKeys(withSub), [...requestKeys.slice(0, 3), 'subResource', ...requestKeys.slice(3), ...decided], 'subResource after group');
  t.equal(withSub.subResource, 'status');
  t.match(withSub, { uid: 'sub', kind: 'ConfigMap', group: '', namespace: 'team-a', name: 'obj-sub', operation: 'UPDATE', user: 'alice@example.com', dryRun: false, decision: 'allowed', denied: [], warned: [], dryrunViolations: [] });
});

t.test('a mutation line: the same request fields, then the mutation', async (t) => {
  await admit(port, ca, review('mutated'), { path: '/mutate' });
  await recorded();
  t.strictSame(ownKeys(lineOf('mutated', 'mutation ')), [...requestKeys, 'mutation', 'profile', 'patched', 'durationMs', 'revision']);
});
