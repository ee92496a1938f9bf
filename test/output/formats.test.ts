import { Ajv } from 'ajv';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import yaml from 'js-yaml';
import t from 'tap';
import { exitCodeOf, formatNames, formatterFor, summarize, type Report } from '../../dist/output/index.js';

const tricky = 'bad <value> & "quotes" \'apos\' 100% a,b: c\nsecond line';

/** A fresh report on every call: formatters must not depend on (or change) shared state. */
function report(overrides: Partial<Report> = {}): Report {
  return {
    files: ['deploy/a.yaml', 'deploy/b.yaml', 'deploy/c.yaml'],
    results: [
      {
        source: { file: 'deploy/a.yaml', line: 1, document: 0 },
        object: { kind: 'Deployment', namespace: 'shop', name: 'web' },
        outcome: 'denied',
        violations: [
          { policy: 'registries', action: 'deny', message: `image ${tricky}`, path: 'spec.template.spec.containers[0].image', line: 12 },
          { policy: 'labels', action: 'warn', message: 'no team label' },
        ],
      },
      {
        source: { file: 'deploy/a.yaml', line: 20, document: 1 },
        object: { kind: 'Service', namespace: 'shop', name: 'web' },
        outcome: 'warned',
        violations: [{ policy: 'labels', action: 'warn', message: 'no team label', path: 'metadata.labels', line: 23 }],
      },
      {
        source: { file: 'deploy/b.yaml', line: 4, document: 0, item: 0 },
        object: { kind: 'Namespace', name: 'shop' },
        outcome: 'allowed',
        violations: [],
      },
      {
        source: { file: 'deploy/b.yaml', line: 9, document: 0, item: 1 },
        object: { kind: 'Pod', namespace: 'shop', name: 'slow' },
        outcome: 'error',
        violations: [],
        error: 'the policy could not decide Pod shop/slow: policy evaluation exceeded its deadline of 2000 ms',
      },
    ],
    problems: [{ file: 'deploy/c.yaml', line: 3, column: 5, message: `YAML syntax error: ${tricky}` }],
    failOnWarn: false,
    ...overrides,
  };
}

const format = (name: string, r: Report = report(), options = {}) => formatterFor(name)!.format(r, options);

t.test('exit code and counts come from the result model', async (t) => {
  const base = report();
  const only = (outcomes: string[], extra: Partial<Report> = {}) =>
    report({ problems: [], results: base.results.filter((r) => outcomes.includes(r.outcome)), ...extra });
  const table: [string, Report, number][] = [
    ['nothing', report({ results: [], problems: [] }), 0],
    ['allowed only', only(['allowed']), 0],
    ['a warning', only(['allowed', 'warned']), 0],
    ['a warning with --fail-on-warn', only(['allowed', 'warned'], { failOnWarn: true }), 1],
    ['a denial', only(['allowed', 'denied']), 1],
    ['an evaluation error', only(['allowed', 'error']), 2],
    ['an input problem among denials', report(), 2],
  ];
  for (const [name, r, code] of table) t.equal(exitCodeOf(r), code, name);
  t.same(summarize(report()), { files: 3, documents: 4, allowed: 1, warned: 1, denied: 1, errors: 1, problems: 1 });
});

t.test('every format is registered and none mutates the report', async (t) => {
  t.same(formatNames, ['text', 'json', 'junit', 'tap', 'sarif', 'github', 'yaml']);
  for (const name of formatNames) {
    const r = report();
    const before = JSON.stringify(r);
    t.ok(format(name, r).length > 0, name);
    t.equal(JSON.stringify(r), before, `${name} leaves the report as it was`);
  }
  t.equal(formatterFor('xml'), undefined);
  t.equal(formatterFor('toString'), undefined, 'no prototype names');
});

t.test('text: grouped by file, violations under their document, summary last, colour only when asked', async (t) => {
  const out = format('text');
  const lines = out.trimEnd().split('\n');
  t.equal(lines[0], 'deploy/a.yaml');
  t.match(lines[1], /✗ denied\s+Deployment shop\/web\s+line 1, document 0/);
  t.match(out, /deny\s+registries: image bad <value>.*\n {13}second line \(spec\.template\.spec\.containers\[0\]\.image, line 12\)/, 'a message’s second line stays indented under it');
  t.match(out, /deploy\/b\.yaml\n\s+✗ error\s+Pod shop\/slow\s+line 9, document 0, item 1\n\s+the policy could not decide/);
  t.match(out, /deploy\/c\.yaml\n\s+✗ input error\s+line 3\s+YAML syntax error/);
  t.notMatch(out, /Namespace shop/, 'allowed documents are left out');
  t.match(format('text', report(), { verbose: true }), /✓ allowed\s+Namespace shop\s+line 4, document 0, item 0/);
  t.equal(lines.at(-1), '4 documents in 3 files: 1 allowed, 1 warned, 1 denied, 1 evaluation error, 1 input error');
  t.notMatch(out, /\u001b\[/, 'no ANSI escapes without colour');
  t.match(format('text', report(), { color: true }), /\u001b\[31m/);
  t.match(format('text', report({ failOnWarn: true })), /warnings fail this run/);
});

t.test('json: parses, and carries every result, violation and input error', async (t) => {
  const doc = JSON.parse(format('json'));
  t.equal(doc.version, 1);
  t.same(doc.summary, { files: 3, documents: 4, denied: 1, warned: 1, allowed: 1, errors: 1, evaluationErrors: 1, notes: 0, exitCode: 2, failOnWarn: false });
  t.equal(doc.summary.errors, doc.errors.length, 'summary.errors counts the errors list');
  t.same(
    doc.results.map((r: Record<string, unknown>) => [r.file, r.line, r.document, r.item, r.kind, r.namespace, r.name, r.outcome, r.allowed]),
    [
      ['deploy/a.yaml', 1, 0, undefined, 'Deployment', 'shop', 'web', 'denied', false],
      ['deploy/a.yaml', 20, 1, undefined, 'Service', 'shop', 'web', 'warned', true],
      ['deploy/b.yaml', 4, 0, 0, 'Namespace', undefined, 'shop', 'allowed', true],
      ['deploy/b.yaml', 9, 0, 1, 'Pod', 'shop', 'slow', 'error', false],
    ],
  );
  t.equal(doc.results[0].violations[0].message, `image ${tricky}`);
  t.equal(doc.results[0].violations[0].line, 12);
  t.match(doc.results[3].error, /deadline/);
  t.same(doc.errors, [{ file: 'deploy/c.yaml', line: 3, column: 5, message: `YAML syntax error: ${tricky}` }]);
});

t.test('junit: well-formed XML with one testsuite per file and the right counts', async (t) => {
  const xml = format('junit');
  t.equal(XMLValidator.validate(xml), true);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(xml);
  const root = parsed.testsuites;
  t.match(root, { tests: '5', failures: '1', errors: '2' });
  t.same(
    root.testsuite.map((s: Record<string, string>) => [s.name, s.tests, s.failures, s.errors]),
    [
      ['deploy/a.yaml', '2', '1', '0'],
      ['deploy/b.yaml', '2', '0', '1'],
      ['deploy/c.yaml', '1', '0', '1'],
    ],
  );
  const [denied, warned] = root.testsuite[0].testcase;
  t.equal(denied.name, 'Deployment shop/web (line 1, document 0)');
  t.equal(denied.failure.message, `registries: image ${tricky}`, 'escaped text reads back exactly');
  t.match(denied.failure['#text'], /\[warn\] labels: no team label/);
  t.match(denied.failure['#text'], /\[deny\] registries: image .*\(spec\.template\.spec\.containers\[0\]\.image, line 12\)/s, 'the line of the field at fault');
  t.equal(warned.failure, undefined, 'a warning is not a failure by default');
  t.match(warned['system-out'], /\[warn\] labels/);
  t.match(root.testsuite[1].testcase[1].error, { type: 'evaluation' });
  t.match(root.testsuite[2].testcase[0].error, { type: 'input', message: /YAML syntax error/ });

  const strict = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(
    format('junit', report({ failOnWarn: true })),
  );
  t.equal(strict.testsuites.failures, '2', '--fail-on-warn makes the warning a failure');
  t.equal(strict.testsuites.testsuite[0].failures, '2', 'in its testsuite');
  t.match(strict.testsuites.testsuite[0].testcase[1].failure, { type: 'warned', message: 'labels: no team label' }, 'and in its own testcase');
});

t.test('tap: a plan, one test point per document and input error, YAML diagnostics that parse', async (t) => {
  const out = format('tap');
  const lines = out.split('\n');
  t.equal(lines[0], 'TAP version 14');
  t.equal(lines[1], '1..5');
  const points = lines.filter((l) => /^(not )?ok \d+ - /.test(l));
  t.same(
    points.map((l) => l.split(' - ')[0]),
    ['not ok 1', 'ok 2', 'ok 3', 'not ok 4', 'not ok 5'],
  );
  t.match(points[0], /deploy\/a\.yaml:1 Deployment shop\/web denied/);
  const blocks = [...out.matchAll(/\n {2}---\n([\s\S]*?)\n {2}\.\.\./g)].map((m) => yaml.load(m[1]!.replace(/^ {2}/gm, '')) as Record<string, unknown>);
  t.equal(blocks.length, 4, 'the denied, warned and error documents and the input error carry diagnostics');
  t.equal((blocks[0]!.violations as { message: string }[])[0]!.message, `image ${tricky}`);
  t.match(lines.at(-2), /^# 4 documents in 3 files/);
  t.match(format('tap', report({ failOnWarn: true })), /not ok 2 - /);
});

// The parts of the SARIF 2.1.0 schema (oasis-tcs/sarif-spec, sarif-schema-2.1.0.json) that the
// output uses: their required properties, enumerations and minimums, with no unknown properties.
const sarifSchema = {
  $ref: '#/definitions/log',
  definitions: {
    log: {
      type: 'object',
      required: ['version', 'runs'],
      additionalProperties: false,
      properties: { $schema: { type: 'string' }, version: { enum: ['2.1.0'] }, runs: { type: 'array', items: { $ref: '#/definitions/run' } } },
    },
    run: {
      type: 'object',
      required: ['tool'],
      properties: { tool: { $ref: '#/definitions/tool' }, results: { type: 'array', items: { $ref: '#/definitions/result' } } },
    },
    tool: { type: 'object', required: ['driver'], properties: { driver: { $ref: '#/definitions/toolComponent' } } },
    toolComponent: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, version: { type: 'string' }, rules: { type: 'array', items: { $ref: '#/definitions/reportingDescriptor' } } },
    },
    reportingDescriptor: {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string' }, name: { type: 'string' }, shortDescription: { $ref: '#/definitions/message' } },
    },
    message: { type: 'object', anyOf: [{ required: ['text'] }, { required: ['id'] }], properties: { text: { type: 'string' } } },
    result: {
      type: 'object',
      required: ['message'],
      additionalProperties: false,
      properties: {
        ruleId: { type: 'string' },
        ruleIndex: { type: 'integer', minimum: -1 },
        level: { enum: ['none', 'note', 'warning', 'error'] },
        message: { $ref: '#/definitions/message' },
        locations: { type: 'array', items: { $ref: '#/definitions/location' } },
        properties: { type: 'object' },
      },
    },
    location: {
      type: 'object',
      additionalProperties: false,
      properties: {
        physicalLocation: { $ref: '#/definitions/physicalLocation' },
        logicalLocations: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' } } } },
      },
    },
    physicalLocation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        artifactLocation: { type: 'object', additionalProperties: false, properties: { uri: { type: 'string', format: 'uri-reference' } } },
        region: { type: 'object', properties: { startLine: { type: 'integer', minimum: 1 } } },
      },
    },
  },
};

t.test('sarif: valid against the SARIF 2.1.0 schema’s required fields, one result per finding', async (t) => {
  const ajv = new Ajv({ allErrors: true });
  ajv.addFormat('uri-reference', /^[^\s<>"{}|\\^`]*$/);
  const validate = ajv.compile(sarifSchema);
  const log = JSON.parse(format('sarif', report(), { toolVersion: '1.2.3' }));
  t.ok(validate(log), JSON.stringify(validate.errors));
  const run = log.runs[0];
  t.equal(run.tool.driver.version, '1.2.3');
  t.same(
    run.results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level]),
    [
      ['registries', 'error'],
      ['labels', 'warning'],
      ['labels', 'warning'],
      ['wasmgate/evaluation-error', 'error'],
      ['wasmgate/input-error', 'error'],
    ],
  );
  for (const r of run.results) t.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId, 'ruleIndex points at its rule');
  t.same(run.results[0].locations[0].physicalLocation, { artifactLocation: { uri: 'deploy/a.yaml' }, region: { startLine: 12 } }, 'the line of the field at fault');
  t.equal(run.results[0].locations[0].logicalLocations[0].name, 'Deployment shop/web');
});

t.test('github: one annotation per finding on its file and line, properly escaped', async (t) => {
  const lines = format('github').trimEnd().split('\n');
  t.equal(lines.length, 6);
  t.equal(
    lines[0],
    '::error file=deploy/a.yaml,line=12,title=registries (deny)::image bad <value> & "quotes" \'apos\' 100%25 a,b: c%0Asecond line',
  );
  t.equal(lines[1], '::warning file=deploy/a.yaml,line=1,title=labels (warn)::no team label');
  t.equal(lines[2], '::warning file=deploy/a.yaml,line=23,title=labels (warn)::no team label');
  t.match(lines[3], /^::error file=deploy\/b\.yaml,line=9,title=wasmgate%3A Pod shop\/slow::the policy could not decide/);
  t.match(lines[4], /^::error file=deploy\/c\.yaml,line=3,col=5,title=wasmgate%3A input error::YAML syntax error/);
  t.match(lines[5], /^4 documents/);
  t.match(format('github', report({ failOnWarn: true })), /::error file=deploy\/a\.yaml,line=23/, 'warnings are errors under --fail-on-warn');
});

/** A report of pods as an offline run of the PSP defaults leaves them. */
function defaultedReport(): Report {
  const stored = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', ...extra }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  return {
    files: ['pods.yaml'],
    results: [
      {
        source: { file: 'pods.yaml', line: 1, document: 0 },
        object: { kind: 'Pod', namespace: 'shop', name: 'bare' },
        outcome: 'allowed',
        violations: [],
        patch: [
          { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } },
          { op: 'add', path: '/spec/containers/0/securityContext', value: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
          { op: 'add', path: '/spec/securityContext', value: { fsGroup: 1 } },
        ],
        profile: 'restricted',
        stored: stored('bare', { annotations: { 'kubernetes.io/psp': 'restricted' } }),
      },
      {
        source: { file: 'pods.yaml', line: 12, document: 1 },
        object: { kind: 'Pod', namespace: 'shop', name: 'as-is' },
        outcome: 'allowed',
        violations: [],
        patch: [{ op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/psp': 'unbound' } }],
        profile: 'unbound',
        stored: stored('as-is', { annotations: { 'kubernetes.io/psp': 'unbound' } }),
      },
      {
        source: { file: 'pods.yaml', line: 20, document: 2 },
        object: { kind: 'Pod', namespace: 'shop', name: 'root' },
        outcome: 'denied',
        violations: [{ policy: 'pod-security.privileged', action: 'deny', message: 'no PSP allows privileged' }],
        patch: [],
        profile: null,
        stored: stored('root'),
      },
      {
        source: { file: 'pods.yaml', line: 30, document: 3 },
        object: { kind: 'Deployment', namespace: 'shop', name: 'web' },
        outcome: 'allowed',
        violations: [],
        patch: [],
        profile: null,
        pods: {
          profile: 'restricted',
          patch: [
            { op: 'add', path: '/spec/template/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } },
            { op: 'add', path: '/spec/template/spec/securityContext', value: { fsGroup: 1 } },
          ],
        },
        stored: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { spec: { containers: [] } } } },
      },
    ],
    problems: [],
    failOnWarn: false,
  };
}

t.test('json: each result has its patch ([] when none) and its PSP (null when none)', async (t) => {
  const doc = JSON.parse(format('json', defaultedReport()));
  t.same(
    doc.results.map((r: Record<string, unknown>) => [r.name, r.profile, (r.patch as unknown[]).length]),
    [
      ['bare', 'restricted', 3],
      ['as-is', 'unbound', 1],
      ['root', null, 0],
      ['web', null, 0],
    ],
  );
  t.same(doc.results.map((r: Record<string, unknown>) => r.pods), [undefined, undefined, undefined, { profile: 'restricted', patch: defaultedReport().results[3]!.pods!.patch }], 'a workload says what its pods get');
  const plain = JSON.parse(format('json'));
  t.ok(plain.results.every((r: Record<string, unknown>) => Array.isArray(r.patch) && r.patch.length === 0 && r.profile === null), 'results without a mutation say so');
});

t.test('text: what PSP defaults is listed, even for an allowed document; the annotation alone only when verbose', async (t) => {
  const out = format('text', defaultedReport());
  t.match(
    out,
    /✓ allowed {2}Pod shop\/bare {2}line 1, document 0\n {6}defaulted by PSP restricted: spec\.containers\[0\]\.securityContext\.allowPrivilegeEscalation=false, spec\.containers\[0\]\.securityContext\.capabilities\.drop=\["ALL"\], spec\.securityContext\.fsGroup=1\n/,
  );
  t.notMatch(out, /as-is/, 'a pod admitted as it is is an allowed document like any other');
  t.match(format('text', defaultedReport(), { verbose: true }), /Pod shop\/as-is {2}line 12, document 1\n {6}admitted by PSP unbound as it is\n/);
  t.notMatch(out, /root[^\n]*\n {6}(defaulted|admitted)/);
  t.match(out, /✓ allowed {2}Deployment shop\/web {2}line 30, document 3\n {6}its pods defaulted by PSP restricted: spec\.template\.spec\.securityContext\.fsGroup=1\n/, 'the template\'s annotation left out too');
});

t.test('yaml: the stored objects in order, denied ones left out and named, the summary last', async (t) => {
  const out = format('yaml', defaultedReport());
  const docs = yaml.loadAll(out).filter((d) => d !== null && d !== undefined) as Record<string, any>[];
  t.same(docs.map((d) => d.metadata.name), ['bare', 'as-is', 'web']);
  t.match(out, /# Deployment shop\/web at pods\.yaml:30 \(document 3\): its pods will be defaulted by PSP restricted\napiVersion: apps\/v1\n/);
  t.same(docs[0]!.metadata.annotations, { 'kubernetes.io/psp': 'restricted' });
  t.match(out, /^# Pod shop\/bare at pods\.yaml:1 \(document 0\): defaulted by PSP restricted\napiVersion: v1\n/);
  t.match(out, /---\n# Pod shop\/root at pods\.yaml:20 \(document 2\): denied, left out\n# Deployment shop\/web/);
  t.match(out, /\n---\n# 4 documents in 1 file: 3 allowed, 0 warned, 1 denied\n$/);
  const broken = format('yaml');
  t.match(broken, /# Pod shop\/slow at deploy\/b\.yaml:9 \(document 0, item 1\): not decided, left out/);
  t.match(broken, /# input error: deploy\/c\.yaml:3: YAML syntax error: bad <value> & "quotes" 'apos' 100% a,b: c second line\n/, 'a message keeps to its comment line');
  t.equal(yaml.loadAll(broken).filter((d) => d !== null && d !== undefined).length, 0, 'objects without a stored form are not printed');
});

t.test('github and sarif: files relative to the working directory given', async (t) => {
  const absolute = report({
    files: ['/repo/deploy/a.yaml'],
    results: [{ ...report().results[0]!, source: { file: '/repo/deploy/a.yaml', line: 1, document: 0 } }],
    problems: [{ file: './deploy/c.yaml', line: 3, message: 'bad' }],
    notes: [{ file: '<stdin>', line: 1, message: 'a note' }],
  });
  const out = format('github', absolute, { cwd: '/repo' });
  t.match(out, /^::error file=deploy\/a\.yaml,line=12,title=registries/m);
  t.match(out, /^::error file=deploy\/c\.yaml,line=3,title=wasmgate%3A input error::bad$/m);
  t.match(out, /^::notice file=<stdin>,line=1,title=wasmgate%3A note::a note$/m);
  t.match(format('github', absolute), /file=\/repo\/deploy\/a\.yaml/, 'without a working directory, as given');
  t.match(format('github', report({ files: ['/elsewhere/a.yaml'], results: [{ ...report().results[0]!, source: { file: '/elsewhere/a.yaml', line: 1, document: 0 } }], problems: [] }), { cwd: '/repo' }), /file=\/elsewhere\/a\.yaml/, 'outside the working directory: as given');
  const sarif = JSON.parse(format('sarif', absolute, { cwd: '/repo' })).runs[0];
  t.equal(sarif.results[0].locations[0].physicalLocation.artifactLocation.uri, 'deploy/a.yaml', 'SARIF too');
});

t.test('notes: in every human and machine format, never a failure', async (t) => {
  const noted = report({ problems: [], results: [report().results[2]!], notes: [{ file: 'deploy/b.yaml', line: 2, document: 0, message: 'Widget is taken as namespaced' }] });
  t.equal(exitCodeOf(noted), 0);
  t.match(format('text', noted), /deploy\/b\.yaml\n  i note  line 2, document 0  Widget is taken as namespaced\n/);
  t.same(JSON.parse(format('json', noted)).notes, noted.notes);
  t.match(format('tap', noted), /^# note: deploy\/b\.yaml:2 Widget is taken as namespaced$/m);
  t.match(format('github', noted), /^::notice file=deploy\/b\.yaml,line=2,title=wasmgate%3A note::Widget is taken as namespaced$/m);
  const run = JSON.parse(format('sarif', noted)).runs[0];
  t.same(run.results, [], 'a note is not a finding');
  t.same(run.invocations, [
    {
      executionSuccessful: true,
      toolExecutionNotifications: [{ level: 'note', message: { text: 'Widget is taken as namespaced' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'deploy/b.yaml' }, region: { startLine: 2 } } }] }],
    },
  ]);
});
