import { defaultReview, type Mutator } from './defaulting.js';
import type { Mutation } from '../engine/mutation.js';
import type { AdmissionRequest, AdmissionReview, KubeObject } from './types.js';

/**
 * The kinds whose controllers create pods from a template: where the template sits, and which
 * kube-controller-manager controller creates the pods (it authenticates as its own service account,
 * --use-service-account-credentials). The same table as the Rego's (policies/podsecurity/psp).
 */
const workloads: Readonly<Record<string, { readonly template: readonly string[]; readonly controller: string }>> = {
  '/ReplicationController': { template: ['spec', 'template'], controller: 'replication-controller' },
  'apps/ReplicaSet': { template: ['spec', 'template'], controller: 'replicaset-controller' },
  'apps/Deployment': { template: ['spec', 'template'], controller: 'replicaset-controller' },
  'apps/StatefulSet': { template: ['spec', 'template'], controller: 'statefulset-controller' },
  'apps/DaemonSet': { template: ['spec', 'template'], controller: 'daemon-set-controller' },
  'batch/Job': { template: ['spec', 'template'], controller: 'job-controller' },
  'batch/CronJob': { template: ['spec', 'jobTemplate', 'spec', 'template'], controller: 'job-controller' },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function at(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), object);
}

/**
 * The review of a pod a workload's controller would create from its template, as the API server
 * would send it to the mutating webhook: the template's metadata and spec, the workload's namespace,
 * `serviceAccountName` "default" when the template names none (the ServiceAccount admission plugin runs
 * first), created by the controller's service account. Undefined for anything that creates no pods.
 */
export function templatePodReview(review: AdmissionReview & { request: AdmissionRequest }): (AdmissionReview & { request: AdmissionRequest }) | undefined {
  const { request } = review;
  const workload = workloads[`${request.kind.group}/${request.kind.kind}`];
  if (!workload || (request.operation !== 'CREATE' && request.operation !== 'UPDATE') || !isRecord(request.object)) return undefined;
  const template = at(request.object, workload.template);
  if (!isRecord(template) || !isRecord(template.spec)) return undefined;
  const spec = template.spec;
  const named = [spec.serviceAccountName, spec.serviceAccount].some((n) => typeof n === 'string' && n !== '');
  const owner = typeof request.object.metadata?.name === 'string' ? request.object.metadata.name : 'pod';
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(isRecord(template.metadata) ? template.metadata : {}), generateName: `${owner}-`, ...(request.namespace ? { namespace: request.namespace } : {}) },
    spec: named ? spec : { ...spec, serviceAccountName: 'default' },
  };
  const resource = { group: '', version: 'v1', resource: 'pods' };
  const kind = { group: '', version: 'v1', kind: 'Pod' };
  return {
    apiVersion: review.apiVersion,
    kind: 'AdmissionReview',
    request: {
      uid: `${request.uid}-pod`,
      kind,
      resource,
      requestKind: kind,
      requestResource: resource,
      ...(request.namespace ? { namespace: request.namespace } : {}),
      operation: 'CREATE',
      userInfo: {
        username: `system:serviceaccount:kube-system:${workload.controller}`,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      ...(request.dryRun !== undefined ? { dryRun: request.dryRun } : {}),
    },
  };
}

/** What the mutating webhook would do to each pod a workload creates. */
export interface TemplatePods {
  /** The review it would get for such a pod. */
  readonly review: AdmissionReview & { request: AdmissionRequest };
  /** Its answer, in the paths of the pod. */
  readonly mutation: Mutation;
  /** Where the template sits in the workload, as a JSON pointer: `/spec/template`. */
  readonly template: string;
}

/** The mutation of the pods a workload creates; undefined for what creates none. */
export async function templatePodMutation(engine: Mutator, review: AdmissionReview & { request: AdmissionRequest }): Promise<TemplatePods | undefined> {
  const pod = templatePodReview(review);
  if (!pod) return undefined;
  const { mutation } = await defaultReview(engine, pod);
  const { template } = workloads[`${review.request.kind.group}/${review.request.kind.kind}`]!;
  return { review: pod, mutation, template: `/${template.join('/')}` };
}

/** The pods' mutation in the paths of the workload: every operation moved under the template. */
export function inWorkload(pods: TemplatePods): Mutation {
  const under = (pointer: string) => `${pods.template}${pointer}`;
  return {
    profile: pods.mutation.profile,
    patch: pods.mutation.patch.map((op) => ('from' in op ? { ...op, path: under(op.path), from: under(op.from) } : { ...op, path: under(op.path) })),
  };
}
