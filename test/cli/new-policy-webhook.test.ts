import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { wasmgate } from '../helpers/eval-cli.js';
import { opaTool, repoRoot } from '../helpers/policies.js';
import { admit, review, startServer } from '../server/helpers.js';

t.test('a scaffolded policy is enforced by the running webhook once the rebuilt policy is reloaded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-new-webhook-'));
  cpSync(join(repoRoot, 'test', 'policies', 'catalogue', 'good'), join(dir, 'policies'), { recursive: true });
  const served = mkdtempSync(join(tmpdir(), 'wasmgate-new-served-'));
  const build = () => buildPolicies({ opa: opaTool(), policiesDir: join(dir, 'policies'), outDir: served });
  await build();
  const s = await startServer({ bundle: served });
  t.teardown(() => s.stop());
  const configMap = review('u1', {}, { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team-a', labels: { owner: '' } }, data: {} } });
  const before = await admit(s.port, s.ca, configMap);
  t.equal(before.json.response.allowed, true, 'no policy looks at the label yet');

  const scaffold = wasmgate(['new', 'policy', 'shop.owner'], undefined, dir);
  t.equal(scaffold.code, 0, scaffold.stderr);
  await build();
  const reload = await s.server.reloadPolicy('the policy directory was rebuilt');
  t.ok(reload.ok, reload.error);
  t.not(reload.revision, reload.previousRevision);
  const after = await admit(s.port, s.ca, configMap);
  t.equal(after.json.response.allowed, false);
  t.equal(after.json.response.status.message, '[shop.owner] ConfigMap team-a/settings has the label "owner" with an empty value: give it a value, or remove it');
});

t.test('in the repository’s policies: a scaffolded warn policy warns from the running webhook once the rebuilt policy is reloaded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-new-webhook-'));
  cpSync(join(repoRoot, 'policies'), join(dir, 'policies'), { recursive: true });
  const served = mkdtempSync(join(tmpdir(), 'wasmgate-new-served-'));
  const build = () => buildPolicies({ opa: opaTool(), policiesDir: join(dir, 'policies'), outDir: served });
  await build();
  const s = await startServer({ bundle: served });
  t.teardown(() => s.stop());
  const configMap = review('u1', {}, { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team-a', labels: { team: '' } }, data: {} } });
  const before = await admit(s.port, s.ca, configMap);
  t.equal(before.json.response.allowed, true);
  t.notOk(before.json.response.warnings, 'no policy looks at the label yet');

  const scaffold = wasmgate(['new', 'policy', 'labels.team', '--action', 'warn'], undefined, dir);
  t.equal(scaffold.code, 0, scaffold.stderr);
  await build();
  const reload = await s.server.reloadPolicy('the policy directory was rebuilt');
  t.ok(reload.ok, reload.error);
  t.not(reload.revision, reload.previousRevision);
  const after = await admit(s.port, s.ca, configMap);
  t.equal(after.json.response.allowed, true, 'a warn policy does not deny');
  t.same(after.json.response.warnings, ['[labels.team] ConfigMap team-a/settings has the label "team" with an empty value: give it a value, or remove it']);
});
