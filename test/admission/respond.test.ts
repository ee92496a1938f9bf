import t from 'tap';
import {
  decisionResponse,
  denialMessage,
  failureReason,
  failureResponse,
  mutationResponse,
  warningLimits,
  warningsFor,
} from '../../dist/admission/respond.js';
import type { Violation } from '../../dist/engine/decision.js';

const v1 = { apiVersion: 'admission.k8s.io/v1', uid: 'uid-1' } as const;
const v1beta1 = { apiVersion: 'admission.k8s.io/v1beta1', uid: 'uid-2' } as const;

const deny = (policy: string, message: string): Violation => ({ policy, message, action: 'deny' });
const warn = (policy: string, message: string): Violation => ({ policy, message, action: 'warn' });
const dryrun = (policy: string, message: string): Violation => ({ policy, message, action: 'dryrun' });

const codePoints = (s: string) => [...s].length;

t.test('an allowed decision echoes apiVersion and uid and carries no status', async (t) => {
  for (const identity of [v1, v1beta1]) {
    t.same(decisionResponse(identity, { allowed: true, violations: [] }), {
      apiVersion: identity.apiVersion,
      kind: 'AdmissionReview',
      response: { uid: identity.uid, allowed: true },
    });
  }
});

t.test('a denial lists every deny-mode violation with its policy id, status 403', async (t) => {
  const response = decisionResponse(v1beta1, {
    allowed: false,
    violations: [deny('registries', 'image evil.example/x is not allowed'), warn('limits', 'no memory limit'), deny('pod-security.privileged', 'privileged: true')],
  });
  t.equal(response.apiVersion, 'admission.k8s.io/v1beta1');
  t.equal(response.response?.uid, 'uid-2');
  t.equal(response.response?.allowed, false);
  t.same(response.response?.status, {
    code: 403,
    reason: 'Forbidden',
    message: '[registries] image evil.example/x is not allowed\n[pod-security.privileged] privileged: true',
  });
  t.same(response.response?.warnings, ['[limits] no memory limit'], 'warnings ride along with a denial');
});

t.test('dryrun-mode violations neither deny nor warn', async (t) => {
  const response = decisionResponse(v1, { allowed: true, violations: [dryrun('registries', 'would deny')] });
  t.same(response.response, { uid: 'uid-1', allowed: true });
});

t.test('warnings are one line each, deduplicated, and whole when they fit', async (t) => {
  const long = 'x'.repeat(200);
  t.same(warningsFor([warn('a', 'line one\nline two\ttabbed'), warn('a', 'line one\nline two\ttabbed'), warn('b', long)]), [
    '[a] line one line two tabbed',
    `[b] ${long}`,
  ]);
  const huge = warningsFor([warn('c', 'y'.repeat(1000))])[0]!;
  t.equal(codePoints(huge), warningLimits.perWarning, 'a single warning is cut to what the API server keeps');
  t.ok(huge.endsWith('…'), 'and says it was cut');
  t.same(denialMessage([deny('p', 'a\r\nb')]), '[p] a b');
});

t.test('many warnings: each cut to 120 first, then the rest summarised, never past 4096 in total', async (t) => {
  // 30 warnings of 200 code points: 6000 whole, 3600 at 120 each: all kept, shortened.
  const thirty = Array.from({ length: 30 }, (_, i) => warn(`p${i}`, 'z'.repeat(200)));
  const shortened = warningsFor(thirty);
  t.equal(shortened.length, 30);
  t.ok(shortened.every((w) => codePoints(w) <= warningLimits.preferred));

  // 100 warnings with multi-byte characters: cannot all fit even at 120.
  const hundred = Array.from({ length: 100 }, (_, i) => warn(i < 50 ? 'images' : 'limits', `${i} ${'é🙂'.repeat(100)}`));
  const fitted = warningsFor(hundred);
  const total = fitted.reduce((n, w) => n + codePoints(w), 0);
  t.ok(total <= warningLimits.total, `total ${total} within 4096`);
  t.ok(fitted.every((w) => codePoints(w) <= warningLimits.preferred));
  const summary = fitted.at(-1)!;
  const kept = fitted.length - 1;
  t.match(summary, new RegExp(`^…and ${100 - kept} more warnings from `), summary);
  t.match(summary, /limits/, 'the summary names the policies left out');
  t.ok(kept > 30, `most warnings kept (${kept})`);
  for (const w of fitted) t.notMatch(w, /[\u0000-\u001f]/);
});

t.test('fail closed: denied, status 500, says the policy could not be evaluated', async (t) => {
  const response = failureResponse(v1, failureReason('EVAL_TIMEOUT', 2000), false);
  t.equal(response.response?.allowed, false);
  t.equal(response.response?.status?.code, 500);
  t.match(response.response?.status?.message, /could not evaluate the policy: the evaluation did not finish within its deadline of 2000 ms/);
  t.match(response.response?.status?.message, /uid-1.*denied \(fail closed\)/);
  t.equal(response.response?.uid, 'uid-1');
});

t.test('fail open: allowed, with a warning that says no policy checked it', async (t) => {
  const response = failureResponse(v1beta1, failureReason('EVAL_FAILED', 2000), true);
  t.equal(response.apiVersion, 'admission.k8s.io/v1beta1');
  t.equal(response.response?.allowed, true);
  t.equal(response.response?.status, undefined);
  t.match(response.response?.warnings?.[0], /could not evaluate the policy: the policy failed.*allowed without policy checks \(fail open\)/);
  t.ok(codePoints(response.response!.warnings![0]!) <= warningLimits.perWarning);
});

t.test('failure reasons name no internals', async (t) => {
  t.match(failureReason('MEMORY_LIMIT', 1), /more memory/);
  t.match(failureReason('ENGINE_CLOSED', 1), /shutting down/);
  t.match(failureReason(undefined, 1), /the policy failed/);
});

t.test('a mutation answers allowed, with the patch as base64 JSON only when there is one', async (t) => {
  const patch = [{ op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } }] as const;
  for (const identity of [v1, v1beta1]) {
    const response = mutationResponse(identity, { patch, profile: 'restricted' });
    t.same(Object.keys(response.response!).sort(), ['allowed', 'patch', 'patchType', 'uid']);
    t.match(response, { apiVersion: identity.apiVersion, kind: 'AdmissionReview', response: { uid: identity.uid, allowed: true, patchType: 'JSONPatch' } });
    t.same(JSON.parse(Buffer.from(response.response!.patch!, 'base64').toString('utf8')), patch);
    t.same(mutationResponse(identity, { patch: [], profile: 'restricted' }), { apiVersion: identity.apiVersion, kind: 'AdmissionReview', response: { uid: identity.uid, allowed: true } });
  }
});
