// What ships is written down twice, in two languages: the policy folders tests copy
// (test/helpers/policies.ts) and the policy families whose violations Rego tests compare
// (policies/lib/testdata_test.rego). They must name the same policies.
import { join } from 'node:path';
import t from 'tap';
import { readCatalogue } from '../../dist/policies/catalogue.js';
import { familyOf } from '../../dist/policies/in-force.js';
import { opaEval, opaTool, repoRoot, shippedFolders } from '../helpers/policies.js';

t.test("the shipped policies' folders and families are the same policies", async (t) => {
  const policiesDir = join(repoRoot, 'policies');
  const entries = await readCatalogue(policiesDir, opaTool());
  // wasmgate.policies.<folder>.<name>: the folder is the package's third part.
  const shipped = entries.filter((e) => shippedFolders.has(e.package.split('.')[2]!));
  t.ok(shipped.length >= 6, `${shipped.length} shipped policies`);
  const families = (await opaEval(policiesDir, 'data.wasmgate.lib.testdata._shipped_families')) as string[];
  // "config" is not a policy: it stands for the data's own errors.
  t.same([...families].filter((f) => f !== 'config').sort(), [...new Set(shipped.map((e) => familyOf(e.id)))].sort(), 'testdata_test.rego names the families of exactly the shipped folders');
});
