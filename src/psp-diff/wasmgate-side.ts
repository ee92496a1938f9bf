import { entrypoints, type PolicyBundle } from '../engine/bundle.js';
import { parseDecision, type Violation } from '../engine/decision.js';
import { WasmPolicy } from '../engine/wasm-policy.js';
import { describeThrown } from '../errors.js';
import { applyPatch, parsePatch, type PatchOperation } from './json-patch.js';
import type { Json, JsonObject, PspCase } from './protocol.js';

/** The entrypoint of PSP's admit phase (BRIEF-PSP-CONTRACT / README "Pod security"). */
export const mutationEntrypoint = 'wasmgate/main/mutation';

/** What wasmgate made of a case. */
export interface WasmgateAnswer {
  /** config_errors for the case's data: non-empty means wasmgate refused the PSPs/RBAC. */
  readonly dataErrors: readonly string[];
  readonly allowed?: boolean;
  /** The PSP the mutation chose (null when none). */
  readonly profile?: string | null;
  readonly patch?: readonly PatchOperation[];
  /** The pod as sent, with the patch applied: what the API server would go on with. */
  readonly pod?: JsonObject;
  /** The pod-security violations that deny, from the decision on the patched pod. */
  readonly denials?: readonly Violation[];
  /** The mutation's patch for the patched pod: must be [] (the mutation is idempotent). */
  readonly secondPatch?: readonly PatchOperation[];
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
  const kind = { group: '', version: 'v1', kind: 'Pod' };
  const resource = { group: '', version: 'v1', resource: 'pods' };
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
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
      object: pod,
      oldObject: oldPod ?? null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: c.operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions' },
    },
  };
}

interface MutationResult {
  readonly patch: PatchOperation[];
  readonly profile: string | null;
}

function parseMutation(raw: unknown): MutationResult {
  if (!isObject(raw)) throw new Error(`the mutation entrypoint returned ${JSON.stringify(raw)?.slice(0, 200)}, not {patch, profile}`);
  if (!(raw.profile === null || typeof raw.profile === 'string')) throw new Error(`the mutation's profile is ${JSON.stringify(raw.profile)}, not a string or null`);
  return { patch: parsePatch(raw.patch), profile: raw.profile };
}

/**
 * wasmgate evaluated in this process, as the webhook does it: the `mutation` entrypoint, its patch
 * applied, then `decision` on the patched pod.
 */
export class InProcessWasmgate {
  private readonly policy: WasmPolicy;

  constructor(private readonly bundle: PolicyBundle) {
    this.policy = new WasmPolicy(bundle.module, bundle.memoryMinPages);
    if (!(mutationEntrypoint in this.policy.entrypoints)) {
      throw new Error(`the compiled policy has no ${mutationEntrypoint} entrypoint (rebuild it with the PSP Rego: npm run build)`);
    }
  }

  evaluate(c: PspCase, pod: JsonObject, oldPod: JsonObject | undefined): WasmgateAnswer {
    let dataErrors: string[];
    try {
      this.policy.setData(dataForCase(this.bundle.data, c));
      const raw = this.policy.evaluate(entrypoints.configErrors, {});
      dataErrors = Array.isArray(raw) ? raw.map(String).sort() : [];
    } catch (err) {
      return { dataErrors: [], error: `loading the case's data failed: ${describeThrown(err)}` };
    }
    if (dataErrors.length > 0) return { dataErrors };
    try {
      const mutation = parseMutation(this.policy.evaluate(mutationEntrypoint, reviewForCase(c, pod, oldPod)));
      const patched = applyPatch(pod as Json, mutation.patch) as JsonObject;
      const decision = parseDecision(this.policy.evaluate(entrypoints.decision, reviewForCase(c, patched, oldPod)));
      const denials = decision.violations.filter((v) => v.action === 'deny' && v.policy.startsWith('pod-security'));
      const again = parseMutation(this.policy.evaluate(mutationEntrypoint, reviewForCase(c, patched, oldPod)));
      return {
        dataErrors,
        allowed: denials.length === 0,
        profile: mutation.profile,
        patch: mutation.patch,
        pod: patched,
        denials,
        secondPatch: again.patch,
      };
    } catch (err) {
      return { dataErrors, error: describeThrown(err) };
    }
  }
}
