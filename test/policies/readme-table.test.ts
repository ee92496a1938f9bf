import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readDataFile } from '../../dist/engine/data-file.js';
import { readCatalogue, writeCatalogue } from '../../dist/policies/catalogue.js';
import { listPolicies } from '../../dist/policies/in-force.js';
import { policyTable, tableIn, tableMarkers } from '../../dist/policies/markdown.js';
import { readmeWithTable, syncReadmeTable } from '../../dist/policies/readme-table.js';
import { opaTool, repoRoot } from '../helpers/policies.js';

t.test("the README's policy table is the catalogue of policies/ with policies/data.yaml", async (t) => {
  const table = tableIn(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
  t.ok(table !== undefined, 'the README has the policy-table markers');
  const policies = listPolicies(await readCatalogue(join(repoRoot, 'policies'), opaTool()), readDataFile(join(repoRoot, 'policies', 'data.yaml')));
  t.equal(table, policyTable(policies, 'policies'), 'the table is current: npm run build (or node dist/cli/main.js policies --readme README.md) rewrites it');
  t.equal(readmeWithTable(repoRoot, join(repoRoot, 'wasm'))?.after, readFileSync(join(repoRoot, 'README.md'), 'utf8'), 'and it is what the build writes');
});

t.test('the build rewrites the table from the catalogue it wrote, and only when it differs', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'wasmgate-readme-table-'));
  const good = join(repoRoot, 'test', 'policies', 'catalogue', 'good');
  cpSync(good, join(root, 'policies'), { recursive: true });
  writeFileSync(join(root, 'policies', 'data.yaml'), 'config:\n  enforcement:\n    labels: dryrun\n');
  mkdirSync(join(root, 'wasm'));
  writeCatalogue(join(root, 'wasm', 'catalogue.json'), await readCatalogue(good, opaTool()));
  const readme = join(root, 'README.md');
  writeFileSync(readme, `# x\n\n${tableMarkers.begin}\n${tableMarkers.end}\n`);
  t.ok(syncReadmeTable(root, join(root, 'wasm')), 'written');
  const text = readFileSync(readme, 'utf8');
  t.match(text, /\n\| `labels\.team` \| Deployments carry a team label \| .* \| dryrun \(config\.enforcement\["labels"\]\) \| .* \| \[labels\/team\/team\.rego\]\(policies\/labels\/team\/team\.rego\) \|\n<!-- \/policy-table -->\n$/);
  t.notOk(syncReadmeTable(root, join(root, 'wasm')), 'current: not written again');
  writeFileSync(readme, '# no markers\n');
  t.notOk(syncReadmeTable(root, join(root, 'wasm')), 'a README without the markers is left alone');
  t.equal(readFileSync(readme, 'utf8'), '# no markers\n');
});
