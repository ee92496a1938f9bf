import type { PolicyBundle } from '../engine/bundle.js';
import type { Violation } from '../engine/decision.js';
import { PolicyEvaluator } from '../engine/evaluator.js';
import { applyJsonPatch } from '../engine/json-patch.js';
import type { JsonPatchOp } from '../engine/mutation.js';
import { describeThrown, isWasmgateError } from '../errors.js';
import type { JsonObject, PspCase } from './protocol.js';

/** What wasmgate made of a case. */
export interface WasmgateAnswer {
  /** config_errors for the case's data: non-empty means wasmgate refused the PSPs/RBAC. */
  readonly dataErrors: readonly string[];
  readonly allowed?: boolean;
  /** The PSP the mutation chose (null when none). */
  readonly profile?: string | null;
  readonly patch?: readonly JsonPatchOp[];
  /** The pod as sent, with the patch applied: what the API server would go on with. */
  readonly pod?: JsonObject;
  /** The pod-security violations that deny, from the decision on the patched pod. */
  readonly denials?: readonly Violation[];
  /** The mutation's patch for the patched pod: must be [] (the mutation is idempotent). */
  readonly secondPatch?: readonly JsonPatchOp[];
  /** Evaluation or patching failed: what went wrong. */
  readonly error?: string;
}

/** Other families are put in dryrun so that only pod-security decides. */
const otherFamilies = ['calico', 'system-namespaces', 'registries', 'limits'];

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The data a case runs with: wasmgate's defaults with the case's PSPs and RBAC. */
export function dataForCase(defaults: unknown, c: Pick<PspCase, 'policies' | 'rbac'>): JsonObject {
  const base = isObject(defaults) ? defaults : {};
  const config = isObject(base.config) ? base.config : {};
  const podSecurity = isObject(config.podSecurity) ? config.podSecurity : {};
  const enforcement = isObject(config.enforcement) ? config.enforcement : {};
  return {
    ...base,
    config: {
      ...config,
      enforcement: { ...enforcement, ...Object.fromEntries(otherFamilies.map((f) => [f, 'dryrun'])) },
      podSecurity: { ...podSecurity, policies: [...c.policies], rbac: [...c.rbac] },
    },
  };
}

/** The AdmissionReview the API server sends a webhook for the case (pods as the oracle decoded them). */
export function reviewForCase(c: PspCase, pod: JsonObject, oldPod: JsonObject | undefined): JsonObject {
  return review(c, pod, oldPod, { group: '', version: 'v1', kind: 'Pod' }, 'pods');
}

/** A Deployment whose pod template is the case's pod (as admission received it). */
export function deploymentOf(pod: JsonObject): JsonObject {
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
  const labels = isObject(metadata.labels) ? metadata.labels : {};
  const template: JsonObject = {
    metadata: { labels, ...(isObject(metadata.annotations) ? { annotations: metadata.annotations } : {}) },
    spec: pod.spec ?? {},
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: typeof metadata.name === 'string' ? metadata.name : 'p', ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}) },
    spec: { replicas: 1, selector: { matchLabels: labels }, template },
  };
}

function review(c: PspCase, object: JsonObject, oldObject: JsonObject | undefined, kind: JsonObject, plural: string): JsonObject {
  const resource = { group: kind.group ?? '', version: kind.version ?? 'v1', resource: plural };
  const metadata = isObject(object.metadata) ? object.metadata : {};
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: c.id,
      kind,
      resource,
      requestKind: kind,
      requestResource: resource,
      name: typeof metadata.name === 'string' ? metadata.name : '',
      namespace: c.namespace,
      operation: c.operation,
      userInfo: { username: c.userInfo.username, groups: [...c.userInfo.groups] },
      object,
      oldObject: oldObject ?? null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: c.operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions' },
    },
  };
}

/**
 * wasmgate evaluated in this process, as the webhook does it: the `mutation` entrypoint, its patch
 * applied, then `decision` on the patched pod.
 */
export class InProcessWasmgate {
  private readonly evaluator: PolicyEvaluator;

  constructor(private readonly bundle: PolicyBundle) {
    this.evaluator = new PolicyEvaluator(bundle);
  }

  /**
   * The pod-security denials of a Deployment with the case's pod as its template, created by the case's
   * user (with the case's data): none when wasmgate admits the pods its controller will create.
   */
  deploymentDenials(c: PspCase, pod: JsonObject): Violation[] {
    this.evaluator.setData(dataForCase(this.bundle.data, c));
    const decision = this.evaluator.decide(review({ ...c, operation: 'CREATE' }, deploymentOf(pod), undefined, { group: 'apps', version: 'v1', kind: 'Deployment' }, 'deployments'));
    return decision.violations.filter((v) => v.action === 'deny' && v.policy.startsWith('pod-security'));
  }

  evaluate(c: PspCase, pod: JsonObject, oldPod: JsonObject | undefined): WasmgateAnswer {
    try {
      this.evaluator.setData(dataForCase(this.bundle.data, c));
    } catch (err) {
      // The policy's config_errors refused the case's PSPs/RBAC (the message lists its findings).
      if (isWasmgateError(err, 'DATA_INVALID')) return { dataErrors: [err.message] };
      return { dataErrors: [], error: `loading the case's data failed: ${describeThrown(err)}` };
    }
    try {
      const mutation = this.evaluator.mutate(reviewForCase(c, pod, oldPod));
      const patched = applyJsonPatch(pod, mutation.patch);
      const decision = this.evaluator.decide(reviewForCase(c, patched, oldPod));
      const denials = decision.violations.filter((v) => v.action === 'deny' && v.policy.startsWith('pod-security'));
      const again = this.evaluator.mutate(reviewForCase(c, patched, oldPod));
      return { dataErrors: [], allowed: denials.length === 0, profile: mutation.profile, patch: mutation.patch, pod: patched, denials, secondPatch: again.patch };
    } catch (err) {
      return { dataErrors: [], error: describeThrown(err) };
    }
  }
}
