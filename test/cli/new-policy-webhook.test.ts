import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { wasmgate } from '../helpers/eval-cli.js';
import { copyShippedPolicies, opaTool, repoRoot } from '../helpers/policies.js';
import { admit, review, startServer } from '../server/helpers.js';

/**
 * A webhook serving a scratch copy of `from` as policies/, and `addPolicy`: scaffolds a policy there,
 * rebuilds what the webhook serves and reloads it, resolving with the answer to `request` after that.
 */
async function servedScratch(t: Test, from: string | 'shipped') {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-new-webhook-'));
  if (from === 'shipped') copyShippedPolicies(join(dir, 'policies'));
  else cpSync(from, join(dir, 'policies'), { recursive: true });
  const served = mkdtempSync(join(tmpdir(), 'wasmgate-new-served-'));
  const build = () => buildPolicies({ opa: opaTool(), policiesDir: join(dir, 'policies'), outDir: served });
  await build();
  const s = await startServer({ bundle: served });
  t.teardown(() => s.stop());
  const ask = async (request: unknown) => (await admit(s.port, s.ca, request)).json.response;
  const addPolicy = async (args: string[]) => {
    const scaffold = wasmgate(['new', 'policy', ...args], undefined, dir);
    t.equal(scaffold.code, 0, scaffold.stderr);
    await build();
    const reload = await s.server.reloadPolicy('the policy directory was rebuilt');
    t.ok(reload.ok, reload.error);
    t.not(reload.revision, reload.previousRevision, 'a new revision serves');
  };
  return { ask, addPolicy };
}

const configMap = (label: string) => review('u1', {}, { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team-a', labels: { [label]: '' } }, data: {} } });

t.test('in the repository’s policies: a scaffolded warn policy warns from the running webhook once the rebuilt policy is reloaded', async (t) => {
  const { ask, addPolicy } = await servedScratch(t, 'shipped');
  const before = await ask(configMap('team'));
  t.equal(before.allowed, true);
  t.notOk(before.warnings, 'no policy looks at the label yet');
  await addPolicy(['labels.team', '--action', 'warn']);
  const after = await ask(configMap('team'));
  t.equal(after.allowed, true, 'a warn policy does not deny');
  t.same(after.warnings, ['[labels.team] ConfigMap team-a/settings has the label "team" with an empty value: give it a value, or remove it']);
});

t.test('in another policy directory: a scaffolded deny policy denies once reloaded', async (t) => {
  const { ask, addPolicy } = await servedScratch(t, join(repoRoot, 'test', 'policies', 'catalogue', 'good'));
  t.equal((await ask(configMap('owner'))).allowed, true, 'no policy looks at the label yet');
  await addPolicy(['shop.owner']);
  const after = await ask(configMap('owner'));
  t.equal(after.allowed, false);
  t.equal(after.status.message, '[shop.owner] ConfigMap team-a/settings has the label "owner" with an empty value: give it a value, or remove it');
});
