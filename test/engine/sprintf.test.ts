// sprintf must print exactly what OPA prints: a table of formats × values, each evaluated by
// `opa eval` on the Rego source and by the engine on the compiled WASM.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { loadBundle, WasmPolicy } from '../../dist/engine/index.js';
import { compilePolicies, opaEval, opaTool } from '../helpers/policies.js';

const values = [
  '"abc"',
  '""',
  '"héllo \\"q\\"\\n\\t\\u0001"',
  '0',
  '42',
  '-7',
  '12345678901234567890',
  '1.5',
  '-0.25',
  '3.0',
  '1e21',
  '1.5e-7',
  '100000000.5',
  '123456.0',
  '0.125',
  '2.675',
  '["a", "b"]',
  '[1, [2, {"k": null}]]',
  '[]',
  '{"b": 1, "a": "x", "c": [true]}',
  '{}',
  '{"b", "a"}',
  '{3, 1, 2}',
  'set()',
  '{{"x"}, {1}}',
  'null',
  'true',
  'false',
];
const formats = ['%v', '%s', '%d', '%.2f', '%x', '%q', '%5d|', '%-6s|', '%e', '%g', '%t', '%08.3f', '%+d', '%X', '%.1s', '%10.4v|'];
const extraCases = [
  ['%d %d', '[1]'],
  ['%d', '[1, 2]'],
  ['100%% of %s', '["x"]'],
  ['%', '[]'],
  ['%z', '[1]'],
  ['no verbs', '[]'],
  ['%v and %v', '[{"a": [1, 2]}, {"s"}]'],
];

const cases: [string, string][] = [
  ...formats.flatMap((f) => values.map((v): [string, string] => [f, `[${v}]`])),
  ...(extraCases as [string, string][]),
];

t.test('sprintf in the WASM engine equals OPA', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-sprintf-'));
  // Formats come from input, so the compiler cannot fold the calls away at build time.
  const lines = cases.map(([, args], i) => `\tsprintf(input.formats[${i}], ${args}),`);
  writeFileSync(join(dir, 'table.rego'), `package sprintf_table\n\nresults := [\n${lines.join('\n')}\n]\n`);
  const fmt = spawnSync(opaTool().path, ['fmt', '-w', dir], { encoding: 'utf8' });
  t.equal(fmt.status, 0, fmt.stderr);

  const input = { formats: cases.map(([f]) => f) };
  const expected = (await opaEval(dir, 'data.sprintf_table.results', input)) as string[];
  t.equal(expected.length, cases.length, 'opa eval answered every case');

  const out = await compilePolicies(dir, ['sprintf_table/results']);
  const bundle = await loadBundle(out);
  const policy = new WasmPolicy(bundle.module, bundle.memoryMinPages);
  const actual = policy.evaluate('sprintf_table/results', input) as string[];

  cases.forEach(([format, args], i) => {
    t.equal(actual[i], expected[i], `sprintf(${JSON.stringify(format)}, ${args}): wasm ${JSON.stringify(actual[i])}, opa ${JSON.stringify(expected[i])}`);
  });
});
