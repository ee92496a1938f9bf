import type { PspOracleProcess } from '../toolchain/psp-oracle.js';
import { differences, normalise, type Difference } from './compare.js';
import { knownDeviations } from './deviations.js';
import { updateOf, type GeneratedCase } from './generate.js';
import { parseOracleAnswer, type Json, type JsonObject, type OracleAnswer, type PspCase } from './protocol.js';
import type { WasmgateAnswer } from './wasmgate-side.js';

/** A case with the oracle's answer (UPDATEs follow the CREATE whose stored pod they change). */
export interface OracleResult {
  readonly case: PspCase;
  readonly answer: OracleAnswer;
}

async function ask(oracle: PspOracleProcess, c: PspCase): Promise<OracleResult> {
  const answer = parseOracleAnswer(await oracle.ask(JSON.stringify(c)));
  if (answer.id !== c.id) throw new Error(`the PSP oracle answered case ${answer.id} when asked ${c.id}`);
  return { case: c, answer };
}

/**
 * Runs every generated case through the oracle. An UPDATE changes the pod its CREATE stored: the
 * admitted pod when the oracle admitted it, else the pod as sent (which PSP then judges as it is).
 */
export async function runOracle(oracle: PspOracleProcess, generated: readonly GeneratedCase[]): Promise<OracleResult[]> {
  const creates = await Promise.all(generated.map((g) => ask(oracle, g.case)));
  const updates = await Promise.all(
    generated.flatMap((g, i) => {
      const created = creates[i]!.answer;
      const stored = created.allowed ? created.pod : created.input;
      return g.update && stored && !created.invalid && !created.error ? [ask(oracle, updateOf(g.case, stored, g.update))] : [];
    }),
  );
  return [...creates, ...updates];
}

export type Verdict =
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'compared';
      readonly admit: boolean;
      readonly psp: boolean;
      readonly pod: boolean;
      readonly idempotent: boolean;
      readonly podDiff: readonly Difference[];
      /** The documented deviation this disagreement is, if any (src/psp-diff/deviations.ts). */
      readonly deviation?: string;
    }
  | { readonly kind: 'invalid-data'; readonly refused: boolean };

export interface CaseOutcome extends OracleResult {
  readonly wasmgate?: WasmgateAnswer;
  readonly verdict: Verdict;
  /** When wasmgate chose another PSP than Kubernetes: what Kubernetes makes of the pod under that PSP alone. */
  readonly kubernetesOnWasmgateChoice?: OracleAnswer;
}

export function isDisagreement(o: CaseOutcome): boolean {
  const v = o.verdict;
  return v.kind === 'compared' && !(v.admit && v.psp && v.pod && v.idempotent);
}

/**
 * Compares one case. Admit/deny and the chosen PSP must be the same; when both admit, the pods must be
 * the same (normalised); on UPDATE the PSP is only compared when wasmgate names one (the contract
 * lets it name none) and when the oracle checked the update at all (not an ownerReferences/finalizers
 * only update, which PSP skips).
 */
export function judge(result: OracleResult, wasmgate: WasmgateAnswer | undefined): Verdict {
  const { answer } = result;
  if (answer.error) return { kind: 'skipped', reason: `oracle: ${answer.error}` };
  if (answer.invalid?.startsWith('Pod: ')) return { kind: 'skipped', reason: `the API server refuses the pod: ${answer.invalid}` };
  if (!wasmgate) return { kind: 'skipped', reason: 'wasmgate was not run' };
  if (answer.invalid) return { kind: 'invalid-data', refused: wasmgate.dataErrors.length > 0 };
  const ok = wasmgate.error === undefined && wasmgate.dataErrors.length === 0;
  const admit = ok && wasmgate.allowed === answer.allowed;
  const isUpdate = result.case.operation === 'UPDATE';
  const psp =
    ok &&
    (isUpdate
      ? wasmgate.profile === null || answer.psp === null || wasmgate.profile === answer.psp
      : (answer.allowed ? answer.psp : null) === wasmgate.profile);
  const podDiff = ok && answer.allowed && wasmgate.allowed ? differences(normalise(answer.pod as Json), normalise(wasmgate.pod as Json)) : [];
  const pod = ok && (answer.allowed && wasmgate.allowed ? podDiff.length === 0 : true) && (answer.allowed || wasmgate.patch?.length === 0);
  const idempotent = ok && wasmgate.secondPatch?.length === 0;
  const verdict = { kind: 'compared' as const, admit, psp, pod, idempotent, podDiff };
  const deviation = knownDeviations.find((d) => d.matches(result, wasmgate, verdict));
  return deviation ? { ...verdict, deviation: deviation.id } : verdict;
}

export interface Summary {
  readonly total: number;
  readonly skipped: number;
  readonly invalidData: number;
  readonly invalidDataRefused: number;
  readonly compared: number;
  readonly admitAgree: number;
  readonly pspAgree: number;
  readonly podAgree: number;
  readonly idempotent: number;
  /** Disagreements that are documented deviations. */
  readonly deviations: number;
}

export function summarise(outcomes: readonly CaseOutcome[]): Summary {
  const compared = outcomes.flatMap((o) => (o.verdict.kind === 'compared' ? [o.verdict] : []));
  const invalid = outcomes.flatMap((o) => (o.verdict.kind === 'invalid-data' ? [o.verdict] : []));
  return {
    total: outcomes.length,
    skipped: outcomes.filter((o) => o.verdict.kind === 'skipped').length,
    invalidData: invalid.length,
    invalidDataRefused: invalid.filter((v) => v.refused).length,
    compared: compared.length,
    admitAgree: compared.filter((v) => v.admit).length,
    pspAgree: compared.filter((v) => v.psp).length,
    podAgree: compared.filter((v) => v.pod).length,
    idempotent: compared.filter((v) => v.idempotent).length,
    deviations: outcomes.filter((o) => isDisagreement(o) && o.verdict.kind === 'compared' && o.verdict.deviation !== undefined).length,
  };
}

const percent = (n: number, of: number) => (of === 0 ? 'n/a' : `${((100 * n) / of).toFixed(2)}%`);

export function formatSummary(s: Summary): string {
  return [
    `cases: ${s.total} (${s.compared} compared, ${s.skipped} skipped as invalid pods, ${s.invalidData} with PSP/RBAC objects the API server refuses)`,
    `admit/deny agree:  ${s.admitAgree}/${s.compared} = ${percent(s.admitAgree, s.compared)}`,
    `chosen PSP agrees: ${s.pspAgree}/${s.compared} = ${percent(s.pspAgree, s.compared)}`,
    `resulting pod agrees: ${s.podAgree}/${s.compared} = ${percent(s.podAgree, s.compared)}`,
    `mutation idempotent: ${s.idempotent}/${s.compared} = ${percent(s.idempotent, s.compared)}`,
    `documented deviations among the disagreements: ${s.deviations}`,
    `objects the API server refuses that wasmgate's config_errors refuses too: ${s.invalidDataRefused}/${s.invalidData}`,
  ].join('\n');
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** One disagreement, readably: the case in brief, both answers, the minimal pod diff. */
export function formatDisagreement(o: CaseOutcome): string {
  const c = o.case;
  const v = o.verdict;
  const w = o.wasmgate;
  const pod = c.pod as { spec?: { serviceAccountName?: string } };
  const what = v.kind === 'compared' ? ['admit', 'psp', 'pod', 'idempotent'].filter((k) => !(v as unknown as Record<string, boolean>)[k]) : [];
  const lines = [
    `case ${c.id}: ${c.operation} by ${c.userInfo.username} [${c.userInfo.groups.join(', ')}] in ${c.namespace}, serviceAccount ${pod.spec?.serviceAccountName ?? '-'}; PSPs ${c.policies.map((p) => (p.metadata as { name: string }).name).join(', ')}; disagrees on ${what.join(', ')}${v.kind === 'compared' && v.deviation ? ` (documented deviation ${v.deviation})` : ''}`,
    `  kubernetes: ${o.answer.allowed ? `admitted by ${o.answer.psp ?? '(no check)'}` : `denied: ${clip(o.answer.message ?? '', 600)}`}`,
  ];
  if (w?.error) lines.push(`  wasmgate:   failed: ${clip(w.error, 600)}`);
  else if (w && w.dataErrors.length > 0) lines.push(`  wasmgate:   refused the data: ${clip(w.dataErrors.join('; '), 600)}`);
  else if (w) {
    lines.push(
      `  wasmgate:   ${w.allowed ? 'admitted' : `denied: ${clip((w.denials ?? []).map((d) => d.message).join('; '), 600)}`}; mutation profile ${w.profile ?? 'null'}, patch ${clip(JSON.stringify(w.patch), 400)}`,
    );
    if (w.secondPatch && w.secondPatch.length > 0) lines.push(`  second mutation pass still patches: ${clip(JSON.stringify(w.secondPatch), 300)}`);
  }
  const alone = o.kubernetesOnWasmgateChoice;
  if (alone && w?.profile) {
    lines.push(`  kubernetes with ${w.profile} alone: ${alone.allowed ? 'admits it (so another PSP comes first in Kubernetes\' order)' : `denies: ${clip(alone.message ?? '', 600)}`}`);
  }
  if (v.kind === 'compared') {
    for (const d of v.podDiff.slice(0, 12)) lines.push(`  pod ${d.path}: kubernetes ${JSON.stringify(d.oracle) ?? '(absent)'}, wasmgate ${JSON.stringify(d.wasmgate) ?? '(absent)'}`);
    if (v.podDiff.length > 12) lines.push(`  … ${v.podDiff.length - 12} more pod differences`);
  }
  return lines.join('\n');
}

const everyoneMayUse: JsonObject[] = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'use-all' }, rules: [{ apiGroups: ['policy'], resources: ['podsecuritypolicies'], verbs: ['use'] }] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'use-all' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'use-all' },
    subjects: [
      { kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'system:unauthenticated', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'system:serviceaccounts', apiGroup: 'rbac.authorization.k8s.io' },
    ],
  },
];

/**
 * For each disagreement where wasmgate chose a PSP Kubernetes did not: the oracle's answer for the same
 * pod with that PSP alone, usable by everyone — Kubernetes' own reasons (or the defaults it would apply).
 */
export async function explainChoices(oracle: PspOracleProcess, outcomes: readonly CaseOutcome[]): Promise<CaseOutcome[]> {
  return Promise.all(
    outcomes.map(async (o) => {
      const chosen = o.wasmgate?.profile;
      if (!isDisagreement(o) || !chosen || chosen === o.answer.psp) return o;
      const policy = o.case.policies.find((p) => (p.metadata as { name?: string }).name === chosen);
      if (!policy) return o;
      const alone = await ask(oracle, { ...o.case, id: `${o.case.id}-under-${chosen}`, policies: [policy], rbac: everyoneMayUse });
      return { ...o, kubernetesOnWasmgateChoice: alone.answer };
    }),
  );
}

/** Generates, asks the oracle, evaluates wasmgate and judges every case. */
export async function differentialRun(
  oracle: PspOracleProcess,
  generated: readonly GeneratedCase[],
  wasmgate: (result: OracleResult) => WasmgateAnswer | undefined,
): Promise<CaseOutcome[]> {
  const results = await runOracle(oracle, generated);
  return results.map((result) => {
    const skip = result.answer.error !== undefined || result.answer.invalid?.startsWith('Pod: ') === true;
    const answer = skip ? undefined : wasmgate(result);
    return { ...result, ...(answer ? { wasmgate: answer } : {}), verdict: judge(result, answer) };
  });
}

/** Drops the v1 defaults the API server adds (noise when reading a case), keeping what the case set. */
function briefPod(pod: Json | undefined): Json | undefined {
  const defaulted = new Set(['terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'restartPolicy', 'terminationGracePeriodSeconds', 'dnsPolicy', 'schedulerName', 'enableServiceLinks', 'serviceAccount', 'requests', 'creationTimestamp']);
  const strip = (v: Json): Json =>
    Array.isArray(v) ? v.map(strip) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !defaulted.has(k)).map(([k, x]) => [k, strip(x)])) : v;
  return pod === undefined ? undefined : normalise(strip(pod));
}

/**
 * A disagreement for DISAGREEMENTS.md: the readable summary, then the case in full (the PSPs, the RBAC,
 * the pod as admission received it) and its protocol line, which `psporacle` answers when piped in.
 */
export function formatDisagreementMarkdown(o: CaseOutcome): string {
  const c = o.case;
  return [
    `### ${c.id}`,
    '```',
    formatDisagreement(o),
    '```',
    `PSPs: \`${JSON.stringify(c.policies.map((p) => ({ name: (p.metadata as { name: string }).name, ...(((p.metadata as { annotations?: Json }).annotations) ? { annotations: (p.metadata as { annotations: Json }).annotations } : {}), spec: p.spec })))}\``,
    '',
    `RBAC: \`${JSON.stringify(c.rbac.map((r) => ({ kind: r.kind, name: (r.metadata as { name: string }).name, ...('rules' in r ? { rules: r.rules } : {}), ...('subjects' in r ? { roleRef: (r.roleRef as { name: string }).name, subjects: r.subjects } : {}) })))}\``,
    '',
    `pod (as admission received it, v1 defaults left out): \`${JSON.stringify(briefPod(o.answer.input as Json))}\``,
    ...(o.answer.oldInput ? ['', `oldPod: \`${JSON.stringify(briefPod(o.answer.oldInput as Json))}\``] : []),
    '',
    'oracle input line:',
    '```json',
    JSON.stringify(c),
    '```',
  ].join('\n');
}

/**
 * Where a real program's answer differs from the in-process one for the same case (both are the same
 * compiled policy, so any difference is the host's): allowed, profile, patch, resulting pod.
 */
export function programDifferences(inProcess: WasmgateAnswer, program: WasmgateAnswer, operation: PspCase['operation']): string[] {
  if (program.error) return [`the program failed: ${program.error}`];
  const out: string[] = [];
  if (inProcess.allowed !== program.allowed) out.push(`allowed: in process ${String(inProcess.allowed)}, program ${String(program.allowed)}`);
  // On UPDATE the webhook is not asked to mutate, so only the in-process run names a profile.
  if (operation === 'CREATE' && inProcess.allowed && inProcess.profile !== program.profile) out.push(`profile: in process ${String(inProcess.profile)}, program ${String(program.profile)}`);
  if (JSON.stringify(inProcess.patch) !== JSON.stringify(program.patch)) out.push(`patch: in process ${JSON.stringify(inProcess.patch)}, program ${JSON.stringify(program.patch)}`);
  const pod = differences(normalise(inProcess.pod as Json), normalise(program.pod as Json));
  if (pod.length > 0) out.push(`pod: ${pod.map((d) => d.path).join(', ')}`);
  if (JSON.stringify(inProcess.secondPatch) !== JSON.stringify(program.secondPatch)) out.push(`second patch: in process ${JSON.stringify(inProcess.secondPatch)}, program ${JSON.stringify(program.secondPatch)}`);
  return out;
}

/** The user kube-controller-manager's ReplicaSet controller creates a Deployment's pods as. */
export const replicaSetController = {
  username: 'system:serviceaccount:kube-system:replicaset-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};

export interface TemplateOutcome {
  readonly case: PspCase;
  /** Kubernetes' answer for the pod as the ReplicaSet controller creates it. */
  readonly kubernetes: OracleAnswer;
  /** wasmgate's pod-security denials of the Deployment carrying that pod as its template. */
  readonly denials: readonly { policy: string; message: string }[];
}

/**
 * Workloads: for up to `limit` compared CREATE cases, the pod as the ReplicaSet controller would
 * create it from a Deployment (Kubernetes' answer) against wasmgate's decision on that Deployment. A
 * Deployment whose pods PSP admits must be admitted.
 */
export async function templateRun(
  oracle: PspOracleProcess,
  outcomes: readonly CaseOutcome[],
  deploymentDenials: (c: PspCase, pod: JsonObject) => readonly { policy: string; message: string }[],
  limit: number,
): Promise<TemplateOutcome[]> {
  const chosen = outcomes.filter((o) => o.verdict.kind === 'compared' && o.case.operation === 'CREATE').slice(0, limit);
  return Promise.all(
    chosen.map(async (o) => {
      const asController = { ...o.case, id: `${o.case.id}-by-controller`, userInfo: replicaSetController };
      const { answer } = await ask(oracle, asController);
      return { case: asController, kubernetes: answer, denials: answer.input ? deploymentDenials(asController, answer.input) : [] };
    }),
  );
}

export function formatTemplateSummary(outcomes: readonly TemplateOutcome[]): string {
  const admitted = outcomes.filter((o) => o.kubernetes.allowed);
  const denied = outcomes.filter((o) => !o.kubernetes.allowed && !o.kubernetes.invalid);
  return [
    `Deployments (their pods as the ReplicaSet controller creates them): ${outcomes.length}`,
    `  pods Kubernetes admits whose Deployment wasmgate admits: ${admitted.filter((o) => o.denials.length === 0).length}/${admitted.length}`,
    `  pods Kubernetes denies whose Deployment wasmgate denies: ${denied.filter((o) => o.denials.length > 0).length}/${denied.length}`,
  ].join('\n');
}
