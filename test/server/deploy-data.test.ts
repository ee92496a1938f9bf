// deploy/ serves policies/data.yaml itself: its data.yaml is what the build writes from it, never a copy that drifts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import t from 'tap';
import { deployDataText } from '../../scripts/deploy-data.mjs';
import { repoRoot } from '../helpers/policies.js';

t.test('deploy/data.yaml is policies/data.yaml as npm run build writes it (edit policies/data.yaml, then build)', async (t) => {
  const policiesData = readFileSync(join(repoRoot, 'policies', 'data.yaml'), 'utf8');
  t.equal(readFileSync(join(repoRoot, 'deploy', 'data.yaml'), 'utf8'), deployDataText(policiesData));
  t.same(yaml.load(deployDataText(policiesData)), yaml.load(policiesData), 'the header is only comments');
});
