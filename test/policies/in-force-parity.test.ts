// `wasmgate policies` says which action is in force for each policy and finding (src/policies/in-force.ts);
// the decision applies one (lib/enforcement.rego). Differential: under generated config.enforcement maps,
// every violation the shipped policies find in the project's fixtures carries the action the listing
// gives its id.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Engine } from '../../dist/engine/index.js';
import { loadFixtures } from '../../dist/harness/fixtures.js';
import { loadCatalogue } from '../../dist/policies/catalogue.js';
import { listPolicies } from '../../dist/policies/in-force.js';
import { policyActions } from '../../dist/policies/types.js';
import { projectFixtureDirs, repoRoot } from '../helpers/policies.js';

const bundle = join(repoRoot, 'wasm');
const shippedData = JSON.parse(readFileSync(join(bundle, 'data.json'), 'utf8')) as { config: Record<string, unknown> };
const entries = loadCatalogue(join(bundle, 'catalogue.json'));

/** A small deterministic generator (mulberry32): the same maps on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('every violation carries the action `wasmgate policies` lists for its id', async (t) => {
  const engine = await Engine.load({ bundle, workers: 0 });
  t.teardown(() => engine.close());
  const { cases } = await loadFixtures(projectFixtureDirs());
  const bodies = cases.map((c) => Buffer.from(JSON.stringify(c.review)));
  const withEnforcement = (enforcement: Record<string, string>) => ({ ...shippedData, config: { ...shippedData.config, enforcement } });
  // The ids config.enforcement takes, as the policy's own data check says (a precheck such as bounds takes none).
  const keys = [...new Set(entries.flatMap((e) => [e.id, ...e.rules.map((r) => r.id)]))].filter((k) => {
    try {
      engine.setData(withEnforcement({ [k]: 'warn' }));
      return true;
    } catch {
      return false;
    }
  });
  t.ok(keys.length > 20, `${keys.length} ids take an action`);
  const next = random(11);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  let checked = 0;
  const seen = new Set<string>();
  for (let round = 0; round < 12; round++) {
    const enforcement = Object.fromEntries(keys.filter(() => next() < 0.4).map((k) => [k, pick(policyActions)]));
    const data = withEnforcement(enforcement);
    engine.setData(data);
    const listed = new Map(listPolicies(entries, data).flatMap((p) => [[p.id, p.inForce.action] as const, ...p.rules.map((r) => [r.id, r.inForce.action] as const)]));
    const wrong: string[] = [];
    for (const [i, body] of bodies.entries()) {
      for (const v of (await engine.evaluate(body)).violations) {
        checked++;
        seen.add(v.policy);
        if (listed.get(v.policy) !== v.action) wrong.push(`${cases[i]!.source.file}#${cases[i]!.source.document}: ${v.policy} is ${v.action}, listed ${String(listed.get(v.policy))}`);
      }
    }
    t.same(wrong, [], `round ${round}: ${JSON.stringify(enforcement)}`);
  }
  t.ok(checked > 500, `${checked} violations checked`);
  t.ok(seen.size >= 10, `of ${seen.size} ids: ${[...seen].sort().join(', ')}`);
});
