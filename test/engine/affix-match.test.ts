// strings.any_prefix_match and strings.any_suffix_match must answer exactly what OPA answers: a table
// of (search, base) operands, each evaluated by `opa eval` on the Rego source and by the engine on WASM.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadBundle, WasmPolicy } from '../../dist/engine/index.js';
import { compilePolicies, opaEval } from '../helpers/policies.js';

// Operands come from input, so the compiler cannot fold the calls away; sets are built in Rego.
const operands: unknown[] = [
  'abc',
  'ab',
  '',
  'héllo',
  'hé',
  'llo',
  ['abc', 'xyz'],
  ['x', 'a'],
  ['c', 'yz'],
  [],
  [''],
  ['b', 'abcd'],
  ['abc', 1],
  42,
  { a: 'abc' },
  null,
];

t.test('any_prefix_match and any_suffix_match in the WASM engine equal OPA', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-affix-'));
  writeFileSync(
    join(dir, 'table.rego'),
    `package affix_table

as_set(x) := {s | some s in x} if is_array(x)

as_set(x) := x if not is_array(x)

cell(f, a, b) := {"value": r} if {
	f == "prefix"
	r := strings.any_prefix_match(a, b)
} else := {"value": r} if {
	f == "suffix"
	r := strings.any_suffix_match(a, b)
} else := {"undefined": true}

results := [cell(c.f, a, b) |
	some c in input.cases
	a := [c.a, as_set(c.a)][c.sa]
	b := [c.b, as_set(c.b)][c.sb]
]
`,
  );
  const cases = ['prefix', 'suffix'].flatMap((f) =>
    operands.flatMap((a) => operands.flatMap((b) => [0, 1].flatMap((sa) => [0, 1].map((sb) => ({ f, a, b, sa, sb }))))),
  );
  const input = { cases };
  const expected = (await opaEval(dir, 'data.affix_table.results', input)) as unknown[];
  t.equal(expected.length, cases.length, 'opa eval answered every case');
  t.ok(expected.some((r) => JSON.stringify(r) === '{"value":true}'), 'some calls match');
  t.ok(expected.some((r) => JSON.stringify(r) === '{"value":false}'), 'some calls do not');
  t.ok(expected.some((r) => JSON.stringify(r) === '{"undefined":true}'), 'some calls are type errors');

  const out = await compilePolicies(dir, ['affix_table/results']);
  const capabilities = readFileSync(join(out, 'capabilities.json'), 'utf8');
  t.match(capabilities, '"strings.any_prefix_match"', 'the build lets policies call any_prefix_match');
  t.match(capabilities, '"strings.any_suffix_match"', 'and any_suffix_match');
  const bundle = await loadBundle(out);
  const policy = new WasmPolicy(bundle.module, bundle.memoryMinPages);
  const actual = policy.evaluate('affix_table/results', input) as unknown[];

  cases.forEach((c, i) => {
    const call = `${c.f}(${JSON.stringify(c.a)}${c.sa ? ' as a set' : ''}, ${JSON.stringify(c.b)}${c.sb ? ' as a set' : ''})`;
    t.same(actual[i], expected[i], `${call}: wasm ${JSON.stringify(actual[i])}, opa ${JSON.stringify(expected[i])}`);
  });
});
