// scripts/bench/calls.mjs counts a decision's WASM calls instead of timing it: the counts are the same on
// every run, per body whichever bodies are decided with it, and name the policies' rules.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';

const calls = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', 'calls.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });

interface Counted {
  callsPerDecision: number;
  bodies: { body: number; calls: number; allowed: boolean }[];
  functions: { name: string; attributed: number; issued: number; entered: number }[];
}

t.test('the same counts on every run, per body, with the rules named', async (t) => {
  const runs = [calls('--json', '--top', '500'), calls('--json', '--top', '500'), calls('--json', '--bodies', '5')];
  for (const run of runs) t.equal(run.status, 0, run.stderr);
  const [first, second, one] = runs.map((run) => JSON.parse(run.stdout) as Counted);
  t.same(second, first, 'two runs count the same');
  t.equal(first!.bodies.length, 8, "W2's eight bodies");
  t.same(one!.bodies, [first!.bodies[5]], 'a body alone counts as it does among the others');
  t.ok(first!.bodies.some((b) => !b.allowed) && first!.bodies.some((b) => b.allowed), 'allowed and denied reviews among them');
  const rules = first!.functions.filter((f) => f.name.startsWith('g0.data.wasmgate.policies.'));
  t.ok(rules.length > 20, `the policies' rules by name (${rules.length})`);
  const total = first!.bodies.reduce((sum, b) => sum + b.calls, 0);
  t.equal(first!.callsPerDecision, Math.round(total / 8));
  const sum = (key: 'attributed' | 'issued' | 'entered') => first!.functions.reduce((total, f) => total + f[key], 0);
  t.ok(sum('issued') > 0.99 * first!.callsPerDecision, 'the functions listed make the calls counted');
  t.ok(Math.abs(sum('attributed') - sum('entered')) <= first!.functions.length, 'every function entry is attributed to one rule (to rounding)');
  const parse = first!.functions.find((f) => f.name === 'opa_json_parse');
  t.ok(parse && parse.attributed > 1000, `the body's parse is opa_json_parse's (${parse?.attributed})`);
  t.equal(first!.functions[0]!.attributed, Math.max(...first!.functions.map((f) => f.attributed)), 'sorted by attributed calls');
});

t.test('bad options are refused with the usage', async (t) => {
  const body = calls('--bodies', '9');
  t.equal(body.status, 2);
  t.match(body.stderr, /--bodies: indices of W2's 8 bodies \(0–7\)/);
  const sort = calls('--sort', 'time');
  t.equal(sort.status, 2);
  t.match(sort.stderr, /^usage: node scripts\/bench\/calls\.mjs/);
  const filter = calls('--filter', '(');
  t.equal(filter.status, 2);
  t.match(filter.stderr, /^--filter: Invalid regular expression/);
  const bundle = calls('--bundle', join(repoRoot, 'no-such-bundle'));
  t.equal(bundle.status, 1);
  t.match(bundle.stderr, /^calls: .*no-such-bundle.*\(run npm run build first, or give --bundle DIR\)\n$/);
  t.notMatch(bundle.stderr, /\n\s+at /, 'no stack trace');
});
