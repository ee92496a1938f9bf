// The policies check image references, quantities, registry locations, namespace names, and the
// PodSecurityPolicy names and sysctl patterns of config.podSecurity with string functions instead of
// regex.match (OPA's WASM runtime compiles every pattern again on each evaluation).
// This shows they decide exactly as the old regular expressions did: the old rules live, test-only, in
// test/policies/regex-oracle/, and both are evaluated on thousands of seeded generated strings by
// `opa eval` on the Rego source and by the engine on the compiled WASM.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { loadBundle, WasmPolicy } from '../../dist/engine/index.js';
import { compilePolicies, opaEval, repoRoot } from '../helpers/policies.js';

const seed = 20261201;
const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number, offset: number): T[] => fc.sample(arb, { seed: seed + offset, numRuns });
const chars = (s: string) => fc.constantFrom(...[...s]);
const text = (unit: fc.Arbitrary<string>, minLength: number, maxLength: number) => fc.string({ unit, minLength, maxLength });
/** arb in `percent` % of the samples, null in the others. */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 100 - percent }, { arbitrary: arb, weight: percent });

// Characters that are wrong somewhere in a reference: case, unicode (ı and İ change length when case
// changes), whitespace, the reference's own delimiters, the empty segment's slashes.
const stray = chars('AZé\u0131\u0130\u0661 \t\n\u0000/:@+[]*%');

/** Edits a third of the generated strings at a generated position: insert, delete or replace one character. */
const mutated = (base: fc.Arbitrary<string>, alphabet: fc.Arbitrary<string>) =>
  fc
    .tuple(base, sometimes(fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), alphabet), 33))
    .map(([s, edit]) => {
      if (edit === null) return s;
      const [kind, at, c] = edit;
      const i = s.length === 0 ? 0 : at % s.length;
      if (kind === 'insert') return s.slice(0, i) + c + s.slice(i);
      if (kind === 'delete') return s.slice(0, i) + s.slice(i + 1);
      return s.slice(0, i) + c + s.slice(i + 1);
    });

/** Words of `unit` joined by separators, with a separator or nothing at either end now and then. */
const joined = (unit: fc.Arbitrary<string>, separators: fc.Arbitrary<string>) =>
  fc
    .tuple(
      sometimes(separators, 5),
      fc.array(fc.tuple(text(unit, 1, 4), separators), { minLength: 1, maxLength: 3 }),
      text(unit, 1, 4),
      sometimes(separators, 5),
    )
    .map(([head, words, last, tail]) => `${head ?? ''}${words.map(([w, sep]) => w + sep).join('')}${last}${tail ?? ''}`);
const componentSeparator = fc.oneof(
  { arbitrary: fc.constantFrom('.', '_', '__', '-', '--', '---'), weight: 12 },
  { arbitrary: fc.constantFrom('..', '._', '_.', '.-', '-.', '_-', '-_', '___', '/', ':'), weight: 2 },
);
const component = fc.oneof(
  { arbitrary: text(chars('abcxyz0189'), 1, 8), weight: 12 },
  { arbitrary: joined(chars('abcxyz0189'), componentSeparator), weight: 12 },
  { arbitrary: fc.constant(''), weight: 1 },
);
const labelUnit = fc.oneof({ arbitrary: chars('abcQZ09'), weight: 40 }, { arbitrary: stray, weight: 1 });
const label = fc.oneof(
  { arbitrary: text(labelUnit, 1, 6), weight: 12 },
  { arbitrary: joined(labelUnit, fc.constantFrom('-', '--', '-', '_')), weight: 6 },
  { arbitrary: fc.constant(''), weight: 1 },
);
const port = fc.oneof(
  { arbitrary: fc.constant(''), weight: 10 },
  { arbitrary: text(chars('0123456789'), 0, 6).map((p) => `:${p}`), weight: 10 },
  { arbitrary: fc.constantFrom(':x', '::80', ':-1', ': 80'), weight: 1 },
);
const ipv6Unit = fc.oneof({ arbitrary: chars('0123456789abcdefABCDEF:'), weight: 30 }, { arbitrary: chars('g[]'), weight: 1 });
const domain = fc.oneof(
  { arbitrary: fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), port).map(([ls, p]) => ls.join('.') + p), weight: 6 },
  { arbitrary: fc.tuple(text(ipv6Unit, 0, 10), port).map(([a, p]) => `[${a}]${p}`), weight: 2 },
  { arbitrary: fc.constantFrom('localhost', 'localhost:5000', 'Quay.IO', 'index.docker.io', 'INDEX.DOCKER.IO', 'docker.io', 'quay.io', 'ghcr.io', 'registry.k8s.io'), weight: 2 },
);
const tagUnit = fc.oneof({ arbitrary: chars('aZ09_'), weight: 40 }, { arbitrary: chars('.-'), weight: 4 }, { arbitrary: stray, weight: 1 });
const tag = fc.oneof({ arbitrary: text(tagUnit, 0, 10), weight: 5 }, { arbitrary: text(tagUnit, 125, 130), weight: 1 });
const algorithm = fc.oneof(
  { arbitrary: fc.constant('sha256'), weight: 4 },
  { arbitrary: fc.constantFrom('sha512', 'SHA256', 'sha256+b64u', 'multihash+base58', 'a-b_c+d.e', '1sha', 'sha-', 'sha--b', '-sha', 'sha.1x', '', 'sha256:'), weight: 2 },
  { arbitrary: text(fc.oneof({ arbitrary: chars('aZ09'), weight: 6 }, { arbitrary: chars('-_+.'), weight: 2 }, { arbitrary: stray, weight: 1 }), 0, 8), weight: 1 },
);
const encoded = fc.oneof(
  { arbitrary: fc.integer({ min: 30, max: 70 }).chain((n) => text(chars('0123456789abcdef'), n, n)), weight: 5 },
  { arbitrary: text(fc.oneof({ arbitrary: chars('0123456789abcdefABCDEF'), weight: 10 }, { arbitrary: chars('g:@ '), weight: 1 }), 0, 70), weight: 1 },
);
const reference = fc
  .tuple(
    sometimes(domain, 50),
    fc.array(component, { minLength: 1, maxLength: 4 }),
    sometimes(tag, 50),
    sometimes(fc.tuple(algorithm, encoded).map(([a, e]) => `${a}:${e}`), 25),
  )
  .map(([d, cs, tg, dg]) => `${d === null ? '' : `${d}/`}${cs.join('/')}${tg === null ? '' : `:${tg}`}${dg === null ? '' : `@${dg}`}`);
const referenceAlphabet = fc.oneof({ arbitrary: chars('abz09.-_/:@'), weight: 6 }, { arbitrary: stray, weight: 1 });

const handwrittenReferences = [
  '', 'nginx', 'Nginx', 'nginx:', 'nginx:1.27', 'library/nginx', 'docker.io/nginx', 'index.docker.io/nginx', 'INDEX.DOCKER.IO/cybozu/x',
  'quay.io/', '/nginx', 'a//b', 'a/b/', 'a..b', 'a._b', 'a__b', 'a___b', 'a--b', 'a-.b', '.a', 'a.', '_a', 'a-',
  'localhost', 'localhost:5000', 'localhost:5000/a', 'localhost:/a', 'localhost:x/a', 'Quay.IO/cybozu/x', 'quay.io:443/a:b@sha256:0123456789abcdef0123456789abcdef',
  '[::1]:5000/a', '[::1]/a', '[]/a', '[::1]x/a', '[::1]:/a', '[::g]/a', '[[::1]/a', '[::1]]/a', '[::1]:5000', 'a/[::1]/b',
  'a@sha256:0123456789abcdef0123456789abcdef', 'a@sha256:0123456789abcdef0123456789abcde', 'a@SHA256:0123456789ABCDEF0123456789ABCDEF',
  'a@sha256+b64u:0123456789abcdef0123456789abcdef', 'a@1sha:0123456789abcdef0123456789abcdef', 'a@sha256:0123456789abcdef0123456789abcdef@x',
  'a@@sha256:0123456789abcdef0123456789abcdef', 'a:1@sha256:0123456789abcdef0123456789abcdef', 'a@sha256:0123456789abcdef0123456789abcdef:1',
  `a:${'x'.repeat(128)}`, `a:${'x'.repeat(129)}`, 'a:-1', 'a:.1', 'a:_1', 'a:1:2', 'a/b:1/c', 'a:1/b',
  ' nginx', 'nginx ', 'nginx\n', '\nnginx', 'nginx:1 ', 'ngínx', 'quay.io/ngínx', 'qu\u00e1y.io/x', '\u0130/x', 'x/\u0131', 'https://quay.io/x', 'quay.io/*', 'a\u0000b',
  // Separators next to "." and "_" (lib/images looks for bad pairs only where one of them is), and a
  // first segment that is a component and a domain, only a domain, or neither.
  'a_b/c', 'a.b_c/d', 'a-b_c', 'a__b.c/d', 'a.b-c/d:1', 'a-_b/c', 'a_-b', 'a-.b/c', 'A_b/c', 'a_B.io/c', 'Quay-IO:5000/c', 'quay..io/c', 'quay.io.:5000/c',
];

const quantitySign = fc.oneof({ arbitrary: fc.constant(''), weight: 12 }, { arbitrary: fc.constantFrom('+', '-', '++', '+-', '-+', '--', ' '), weight: 3 });
const digitsText = (min: number, max: number) => text(chars('0123456789'), min, max);
const wholePart = fc.oneof({ arbitrary: digitsText(0, 6), weight: 12 }, { arbitrary: digitsText(15, 25), weight: 1 }, { arbitrary: fc.constantFrom('0', '00', '000'), weight: 2 });
const exponent = fc.tuple(chars('eE'), fc.constantFrom('', '', '+', '-', '+-', '--'), fc.oneof({ arbitrary: digitsText(0, 2), weight: 6 }, { arbitrary: digitsText(18, 25), weight: 1 })).map((p) => p.join(''));
const suffix = fc.oneof(
  { arbitrary: fc.constantFrom('', '', '', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'), weight: 8 },
  { arbitrary: fc.constantFrom('KI', 'ki', 'i', 'mi', 'x', ' ', 'Gi ', 'iB', 'e', 'Mi\n', '\u0661'), weight: 2 },
  { arbitrary: exponent, weight: 4 },
);
const quantity = fc
  .tuple(quantitySign, wholePart, fc.constantFrom('', '', '.'), digitsText(0, 12), suffix)
  .map(([s, w, dot, frac, sfx]) => `${s}${w}${dot}${dot === '' && frac !== '' && w === '' ? '' : frac}${sfx}`);
const quantityAlphabet = fc.oneof({ arbitrary: chars('0123456789.'), weight: 6 }, { arbitrary: chars('+-eEiKMGTPnumkx \t\u0661'), weight: 2 });

const handwrittenQuantities = [
  '', '0', '-0', '-0.0', '-.0', '-0Gi', '-0e3', '-000', '--0', '-+0', '+-0', '+0', '++0', '-1', '-0.1', '.5', '5.', '.', '+.5', '-.5', '1e3', '1E3',
  '1E', '1e', 'e3', '1e+3', '1e-3', '1e+-3', '1Ee3', '1e3e', '1e3Mi', '1Mie3', '0x10', '1 ', ' 1', '1\n', '\n1', '1 Gi', '1Gi ', '1,5', '1_000',
  '1e15', '1e16', '1e999999999999999999999', '1e-999999999999999999999', '0e999999999999999999999', '9007199254740992', '9007199254740993',
  '123456789012345', '1234567890123456', '0.0000000001', '0.0000000015', '0.9999999999', '1.5.5', '8Pi', '7Pi', '1Ei', '1KI', 'Gi', 'm', 'i',
  '\u0661', 'Infinity', 'NaN', '1.', '1..', '00.00m', '1e0', '1e-0', '1e007',
  // Around the limits of lib/quantity's arithmetic-free reading of the usual forms.
  '999m', '1000m', '0999m', '050m', '00m', '0m', '0Ki', '0Ei', '5Ki', '7k', '999999G', '1000000G', '999999Gi', '1000000Gi', '8388607Gi',
  '9999999Gi', '000000000000000000001Gi', '0123456789012345', 'm5', '5mm', '5Mi5', '5iM', '5 m', '+500m', '-500m', '.5m',
];

const locationUnit = fc.oneof({ arbitrary: chars('abzQ09.-_/'), weight: 6 }, { arbitrary: chars(':[]'), weight: 1 }, { arbitrary: stray, weight: 1 });
const location = fc
  .tuple(domain, fc.array(component, { maxLength: 3 }), fc.constantFrom('', '', '', '/', ':1', '@sha256:00', '/*'))
  .map(([d, cs, tail]) => [d, ...cs].join('/') + tail);
const handwrittenLocations = ['quay.io', 'quay.io/', 'quay.io/cybozu', 'Quay.IO/cybozu', 'quay.io/Cybozu', 'https://quay.io', 'cybozu', 'localhost', 'localhost:5000/a', '[::1]:5000', '[::1]:5000/a', 'docker.io/x:1', 'ghcr.io/*', ' quay.io', 'quay.io//x', 'a_b.io'];

const namespace = text(fc.oneof({ arbitrary: chars('abz09'), weight: 8 }, { arbitrary: chars('-'), weight: 2 }, { arbitrary: chars('A_. é\n'), weight: 1 }), 0, 12);
const handwrittenNamespaces = ['', 'a', '0', '-', 'a-', '-a', 'a-b', 'a--b', 'kube-system', 'Kube-system', 'a_b', 'a.b', 'é', 'a ', 'a\n'];

// DNS subdomains (PSP names): labels joined by dots, with the wrong characters, empty labels and edge
// dashes now and then, and names around the 253-character limit.
const subdomainUnit = fc.oneof({ arbitrary: chars('abz09'), weight: 12 }, { arbitrary: chars('-'), weight: 3 }, { arbitrary: chars('.'), weight: 1 }, { arbitrary: chars('A_* é'), weight: 1 });
const subdomainLabel = fc.oneof({ arbitrary: text(subdomainUnit, 1, 8), weight: 12 }, { arbitrary: fc.constant(''), weight: 1 });
const longLabels = (n: number) => fc.constantFrom(`${'a'.repeat(n)}`, `${'a.'.repeat(n >> 1)}b`.slice(-n), `${'ab-'.repeat(n)}`.slice(0, n));
const subdomain = fc.oneof(
  { arbitrary: fc.array(subdomainLabel, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.')), weight: 20 },
  { arbitrary: fc.integer({ min: 251, max: 255 }).chain(longLabels), weight: 1 },
);
const handwrittenSubdomains = [
  '', 'a', '0', '-', '.', 'a.', '.a', 'a..b', 'a.b', 'a-b.c-d', 'a-.b', 'a.-b', 'A', 'a_b', 'a*', 'é', 'a\n', '\na', 'a b',
  'a'.repeat(253), 'a'.repeat(254), `${'a.'.repeat(126)}a`, `${'a.'.repeat(126)}ab`,
];
const handwrittenSubdomainValues = [null, 1, true, ['a'], { a: 'a' }];

// Sysctl patterns: dot-separated segments of [-_a-z0-9], the last possibly ending in *.
const sysctlUnit = fc.oneof({ arbitrary: chars('abz09'), weight: 12 }, { arbitrary: chars('-_'), weight: 4 }, { arbitrary: chars('.*'), weight: 2 }, { arbitrary: chars('A/ é\n'), weight: 1 });
const sysctlSegment = fc.oneof({ arbitrary: text(sysctlUnit, 1, 8), weight: 12 }, { arbitrary: fc.constant(''), weight: 1 });
const sysctl = fc.oneof(
  { arbitrary: fc.tuple(fc.array(sysctlSegment, { minLength: 1, maxLength: 4 }), fc.constantFrom('', '', '*', '.*', '-*', '_*')).map(([ss, tail]) => ss.join('.') + tail), weight: 20 },
  { arbitrary: fc.integer({ min: 251, max: 255 }).chain(longLabels).map((s) => `${s.slice(0, -1)}*`), weight: 1 },
);
const handwrittenSysctls = [
  '', '*', '**', 'a', 'a*', 'a.*', '*.a', 'a.b', 'a..b', 'a.', '.a', 'a_b', '_a', 'a_', '-a', 'a-', 'a-*', 'a_*', 'a.-*', 'a.b_c-d.e*',
  'kernel.shm_rmid_forced', 'net.core.*', 'net.*.b', 'a*b', 'A', 'a/b', 'a\n', 'é', 'a'.repeat(253), 'a'.repeat(254), `${'a'.repeat(252)}*`,
];

const inputs = {
  images: [...handwrittenReferences, ...sample(mutated(reference, stray), 3000, 1), ...sample(text(referenceAlphabet, 0, 40), 1000, 2)],
  quantities: [...handwrittenQuantities, ...sample(mutated(quantity, quantityAlphabet), 3000, 3), ...sample(text(quantityAlphabet, 0, 12), 1000, 4)],
  locations: [...handwrittenLocations, ...sample(mutated(location, locationUnit), 1500, 5), ...sample(text(locationUnit, 0, 30), 500, 6)],
  namespaces: [...handwrittenNamespaces, ...sample(namespace, 2000, 7)],
  subdomains: [...handwrittenSubdomains, ...handwrittenSubdomainValues, ...sample(mutated(subdomain, subdomainUnit), 2000, 8)],
  sysctls: [...handwrittenSysctls, ...sample(mutated(sysctl, sysctlUnit), 2000, 9)],
};
type Category = keyof typeof inputs;
type Results = Record<Category, [unknown, unknown][]>;

/**
 * A directory with policies/lib (without its tests), the PodSecurityPolicy configuration checks and the
 * oracle packages, for opa eval and opa build.
 */
function differentialPolicies(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-regex-free-'));
  const copy = (from: string, to: string, keep: (name: string) => boolean) => {
    mkdirSync(join(dir, to));
    for (const name of readdirSync(from).filter(keep)) copyFileSync(join(from, name), join(dir, to, name));
  };
  copy(join(repoRoot, 'policies', 'lib'), 'lib', (name) => name.endsWith('.rego') && !name.endsWith('_test.rego'));
  copy(join(repoRoot, 'policies', 'podsecurity', 'psp'), 'podsecurity', (name) => name.endsWith('.rego') && !name.endsWith('_test.rego'));
  copy(join(repoRoot, 'test', 'policies', 'regex-oracle'), 'oracle', (name) => name.endsWith('.rego'));
  return dir;
}

t.test('string checks decide as the regular expressions did, in opa eval and in WASM', async (t) => {
  const dir = differentialPolicies();
  const topdown = (await opaEval(dir, 'data.differential.results', inputs)) as Results;
  const bundle = await loadBundle(await compilePolicies(dir, ['differential/results']));
  const wasm = new WasmPolicy(bundle.module, bundle.memoryMinPages).evaluate('differential/results', inputs) as Results;

  for (const category of Object.keys(inputs) as Category[]) {
    const cases = inputs[category];
    t.equal(topdown[category].length, cases.length, `opa eval answered every ${category} case`);
    t.equal(wasm[category].length, cases.length, `WASM answered every ${category} case`);
    const disagreements = cases.flatMap((value, i) => {
      const [oldTopdown, newTopdown] = topdown[category][i] ?? [undefined, undefined];
      const [oldWasm, newWasm] = wasm[category][i] ?? [undefined, undefined];
      const answers = { newTopdown, oldWasm, newWasm };
      const differing = Object.entries(answers).filter(([, answer]) => !isDeepStrictEqual(answer, oldTopdown));
      return differing.length === 0 ? [] : [{ value, oldTopdown, ...answers }];
    });
    t.same(disagreements.slice(0, 10), [], `${category}: ${disagreements.length} of ${cases.length} disagree`);
    // The generators must exercise both answers, or agreement would prove little.
    const accepted = topdown[category].filter(([old]) => old !== null && old !== false).length;
    t.ok(accepted >= cases.length * 0.15 && accepted <= cases.length * 0.85, `${category}: ${accepted} of ${cases.length} accepted`);
  }
  t.ok(inputs.images.length >= 3000 && inputs.quantities.length >= 3000, 'at least 3,000 references and 3,000 quantities');
});
