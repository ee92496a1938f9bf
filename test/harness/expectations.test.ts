import t from 'tap';
import { checkExpectation, parseExpectation, type Expectation } from '../../dist/harness/index.js';

t.test('directives are read from the comments above a document', async (t) => {
  const { expectation, errors } = parseExpectation([
    '# Why this case exists: free text, even with a colon.',
    '# expect: deny',
    '# expect-violation: registries: comes from docker.io',
    '# expect-violation: pod-security.capabilities: does not drop the capability "ALL": really',
    '# operation: update',
    '# user: alice',
    '# groups: system:authenticated, dev-team',
    '# namespace: app-a',
  ]);
  t.same(errors, []);
  t.same(expectation, {
    outcome: 'deny',
    violations: [
      { policy: 'registries', message: 'comes from docker.io' },
      { policy: 'pod-security.capabilities', message: 'does not drop the capability "ALL": really' },
    ],
    request: { operation: 'UPDATE', user: 'alice', groups: ['system:authenticated', 'dev-team'], namespace: 'app-a' },
  });
});

t.test('a fixture without a clear expectation is an error, never a silent pass', async (t) => {
  const table: [string[], RegExp][] = [
    [[], /no "# expect: allow\|deny\|warn" line/],
    [['# expect: maybe'], /must be one of allow, deny, warn/],
    [['# expect: allow', '# expect: deny'], /appears twice/],
    [['# expect: deny', '# expect-violations: x: y'], /unknown directive "expect-violations:"/],
    [['# expect: deny', '# expect-violation: no colon here'], /must read "<policy id>: <message substring>"/],
    [['# expect: deny', '# operation: PATCH'], /must be one of CREATE, UPDATE, DELETE, CONNECT/],
  ];
  for (const [comments, message] of table) {
    const { expectation, errors } = parseExpectation(comments);
    t.equal(expectation, undefined, comments.join(' | ') || '(none)');
    t.match(errors.join('\n'), message);
  }
});

const v = (policy: string, action: 'deny' | 'warn' | 'dryrun', message: string) => ({ policy, action, message });
const expect = (outcome: Expectation['outcome'], violations: Expectation['violations'] = []): Expectation => ({ outcome, violations, request: {} });

t.test('outcomes are checked as the fixture format defines them', async (t) => {
  const allowed = { allowed: true, violations: [] };
  const warned = { allowed: true, violations: [v('labels', 'warn', 'Pod a has no team label')] };
  const dryrun = { allowed: true, violations: [v('limits', 'dryrun', 'would deny')] };
  const denied = { allowed: false, violations: [v('registries', 'deny', 'image x comes from docker.io'), v('labels', 'warn', 'no team')] };
  const table: [string, Expectation, object, RegExp | null][] = [
    ['allow meets allowed', expect('allow'), allowed, null],
    // A warn policy added later must not break fixtures about other policies.
    ['allow is met by a warning nobody named', expect('allow'), warned, null],
    ['allow is met by a dry-run finding nobody named', expect('allow'), dryrun, null],
    ['allow asserts a dry-run finding it names', expect('allow', [{ policy: 'limits', message: 'would deny' }]), dryrun, null],
    ['allow is not met when a named finding is missing', expect('allow', [{ policy: 'limits', message: 'would deny' }]), allowed, /expected a violation of limits whose message contains "would deny"/],
    ['allow is not met by a denial', expect('allow'), denied, /expected it to be allowed, but it was denied/],
    ['deny meets denied', expect('deny', [{ policy: 'registries', message: 'docker.io' }]), denied, null],
    ['deny needs the policy id exactly', expect('deny', [{ policy: 'registry', message: 'docker.io' }]), denied, /expected a violation of registry/],
    ['deny needs the substring', expect('deny', [{ policy: 'registries', message: 'quay.io' }]), denied, /contains "quay.io"/],
    ['deny is not met by allowed', expect('deny'), warned, /expected it to be denied, but it was allowed/],
    [
      'deny is not met when an extra deny violation appears',
      expect('deny', [{ policy: 'registries', message: 'docker.io' }]),
      { ...denied, violations: [...denied.violations, v('limits', 'deny', 'container app has no cpu limit')] },
      /an unexpected deny violation of limits: "container app has no cpu limit"/,
    ],
    ['deny states every deny finding (warnings need not be listed)', expect('deny', [{ policy: 'registries', message: 'docker.io' }]), denied, null],
    ['deny with no expect-violation is not met by a denial it does not name', expect('deny'), denied, /an unexpected deny violation of registries/],
    ['warn meets a warning', expect('warn', [{ policy: 'labels', message: 'team label' }]), warned, null],
    ['warn is not met by silence', expect('warn'), allowed, /expected at least one warning/],
    ['warn is not met by a denial', expect('warn'), denied, /but it was denied/],
  ];
  for (const [name, expectation, decision, problem] of table) {
    const problems = checkExpectation(expectation, decision as never);
    if (problem === null) t.same(problems, [], name);
    else t.match(problems.join('\n'), problem, name);
  }
});

t.test('mutation directives: the PSP chosen, the exact patch, fields defaulted', async (t) => {
  const { expectation, errors } = parseExpectation([
    '# expect: allow',
    '# expect-profile: restricted',
    '# expect-patch: [{"op": "add", "path": "/spec/securityContext", "value": {"fsGroup": 1}}]',
    '# expect-default: spec.securityContext.fsGroup=1',
    '# expect-default: metadata.annotations["kubernetes.io/psp"]="restricted"',
  ]);
  t.same(errors, []);
  t.match(expectation, {
    profile: 'restricted',
    patch: [{ op: 'add', path: '/spec/securityContext', value: { fsGroup: 1 } }],
    defaults: ['spec.securityContext.fsGroup=1', 'metadata.annotations["kubernetes.io/psp"]="restricted"'],
  });
  t.equal(parseExpectation(['# expect: deny', '# expect-profile: none']).expectation?.profile, null, '"none" is no PSP');
  t.same(parseExpectation(['# expect: deny']).expectation, { outcome: 'deny', violations: [], request: {} }, 'unstated, nothing is expected of the mutation');

  const bad: [string[], RegExp][] = [
    [['# expect: allow', '# expect-profile:'], /needs a PSP name, or none/],
    [['# expect: allow', '# expect-profile: a', '# expect-profile: b'], /"# expect-profile:" appears twice/],
    [['# expect: allow', '# expect-patch: [{op: add}]'], /"# expect-patch: \[\{op: add\}\]" is not JSON/],
    [['# expect: allow', '# expect-patch: {"op": "add"}'], /is no RFC 6902 patch: patch is not an array/],
    [['# expect: allow', '# expect-patch: [{"op": "add", "path": "x", "value": 1}]'], /is no RFC 6902 patch: patch\[0\]\.path is "x", not a JSON pointer/],
    [['# expect: allow', '# expect-default: spec.fsGroup'], /must read "<field path>=<JSON value>"/],
    [['# expect: allow', '# expect-profiles: x'], /unknown directive "expect-profiles:"/],
  ];
  for (const [comments, message] of bad) t.match(parseExpectation(comments).errors.join('\n'), message, comments.join(' | '));
});

t.test('the mutation is checked against what the fixture states of it', async (t) => {
  const allowed = { allowed: true, violations: [] };
  const restricted = {
    profile: 'restricted',
    patch: [
      { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } },
      { op: 'add', path: '/spec/securityContext', value: { fsGroup: 1, supplementalGroups: [1] } },
    ],
  } as const;
  const base = { ...expect('allow') };
  const table: [string, Expectation, object, RegExp | null][] = [
    ['the PSP named', { ...base, profile: 'restricted' }, restricted, null],
    ['another PSP', { ...base, profile: 'unbound' }, restricted, /expected PSP unbound to be chosen, but restricted was/],
    ['none expected', { ...base, profile: null }, restricted, /expected PSP none to be chosen, but restricted was/],
    ['one expected, none chosen', { ...base, profile: 'restricted' }, { profile: null, patch: [] }, /expected PSP restricted to be chosen, but none was/],
    ['the exact patch', { ...base, patch: restricted.patch }, restricted, null],
    ['another patch', { ...base, patch: [] }, restricted, /expected the patch \[\], but it was \[\{"op":"add"/],
    ['a field set', { ...base, defaults: ['spec.securityContext.supplementalGroups=[1]'] }, restricted, null],
    ['the annotation is a field too', { ...base, defaults: ['metadata.annotations["kubernetes.io/psp"]="restricted"'] }, restricted, null],
    ['a field not set', { ...base, defaults: ['spec.securityContext.runAsUser=1'] }, restricted, /expected the defaulting to set spec\.securityContext\.runAsUser=1, but it sets metadata\.annotations\["kubernetes\.io\/psp"\]="restricted", spec\.securityContext\.fsGroup=1, spec\.securityContext\.supplementalGroups=\[1\]/],
    ['nothing set', { ...base, defaults: ['spec.a=1'] }, { profile: null, patch: [] }, /but it sets nothing/],
  ];
  for (const [name, expectation, mutation, problem] of table) {
    const problems = checkExpectation(expectation, allowed, mutation as never);
    if (problem === null) t.same(problems, [], name);
    else t.match(problems.join('\n'), problem, name);
  }
  t.same(checkExpectation({ ...base, profile: null, patch: [] }, allowed), [], 'no mutation at all meets "none" and "[]"');
});
