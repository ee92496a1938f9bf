import { randomUUID } from 'node:crypto';
import { WasmgateError } from '../errors.js';
import { withApiServerDefaults } from './defaults.js';
import { kindInfo, splitApiVersion, type CustomKinds } from '../manifests/kinds.js';
import { parseAdmissionReview } from './parse.js';
import type { AdmissionRequest, AdmissionReview, KubeObject, Operation } from './types.js';

/** The operations a manifest can be submitted with. */
export const manifestOperations = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type ManifestOperation = (typeof manifestOperations)[number];

export interface RequestOptions {
  /**
   * Default CREATE. UPDATE sends the object as both object and oldObject (an update that changes
   * nothing); DELETE only as oldObject; CONNECT as object (it is then the connect options).
   */
  readonly operation?: ManifestOperation;
  /** The namespace of namespaced objects that name none; default "default". */
  readonly namespace?: string;
  /** Default "wasmgate-eval". */
  readonly user?: string;
  /** Added to system:authenticated, which the API server gives every authenticated user. */
  readonly groups?: readonly string[];
  /** Default a random UUID. */
  readonly uid?: string;
  /** Scope and plural of kinds from CustomResourceDefinitions (see kindInfo). */
  readonly customKinds?: CustomKinds;
}

export const requestDefaults = { operation: 'CREATE', namespace: 'default', user: 'wasmgate-eval' } as const;

/** Kind, namespace and name of what a review is about: how results name their object. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(why: string): WasmgateError {
  return new WasmgateError('INPUT_INVALID', why);
}

export function isAdmissionReview(value: Readonly<Record<string, unknown>>): boolean {
  return value.kind === 'AdmissionReview' && typeof value.apiVersion === 'string' && value.apiVersion.startsWith('admission.k8s.io/');
}

function withoutNamespace(metadata: Record<string, unknown>): Record<string, unknown> {
  const { namespace: _dropped, ...rest } = metadata;
  return rest;
}

const optionsKinds: Partial<Record<ManifestOperation, string>> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' };

/**
 * The AdmissionReview the API server would send a validating webhook for this object, as a
 * server-side dry run (`kubectl apply --dry-run=server`). Throws INPUT_INVALID for an object
 * without apiVersion, kind or name.
 */
export function synthesizeReview(object: Readonly<Record<string, unknown>>, options: RequestOptions = {}): AdmissionReview & { request: AdmissionRequest } {
  const kube = object as KubeObject;
  if (typeof kube.apiVersion !== 'string' || kube.apiVersion === '') throw invalid('the object has no apiVersion');
  if (typeof kube.kind !== 'string' || kube.kind === '') throw invalid('the object has no kind');
  const metadata = isRecord(kube.metadata) ? kube.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const generated = typeof metadata.generateName === 'string' && metadata.generateName !== '';
  const operation: ManifestOperation = options.operation ?? requestDefaults.operation;
  if (name === '' && !(generated && operation === 'CREATE')) throw invalid(`the ${kube.kind} has no metadata.name`);

  const { group, version } = splitApiVersion(kube.apiVersion);
  const info = kindInfo(group, kube.kind, options.customKinds);
  const ownNamespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  const namespace = info.namespaced ? (ownNamespace ?? options.namespace ?? requestDefaults.namespace) : undefined;
  // The API server fills in the namespace of a namespaced object that names none, and clears the
  // namespace of a cluster-scoped one (rest.BeforeCreate), before validating webhooks see it.
  const scoped: KubeObject = info.namespaced
    ? ownNamespace === undefined ? { ...kube, metadata: { ...metadata, namespace } } : kube
    : 'namespace' in metadata ? { ...kube, metadata: withoutNamespace(metadata) } : kube;
  const sent = withApiServerDefaults(scoped);

  const gvk = { group, version, kind: kube.kind };
  const gvr = { group, version, resource: info.resource };
  const request: AdmissionRequest = {
    uid: options.uid ?? randomUUID(),
    kind: gvk,
    resource: gvr,
    requestKind: gvk,
    requestResource: gvr,
    ...(name !== '' ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    operation: operation as Operation,
    userInfo: {
      username: options.user ?? requestDefaults.user,
      groups: [...new Set([...(options.groups ?? []), 'system:authenticated'])],
    },
    object: operation === 'DELETE' ? null : sent,
    oldObject: operation === 'UPDATE' || operation === 'DELETE' ? sent : null,
    dryRun: true,
    ...(optionsKinds[operation] ? { options: { apiVersion: 'meta.k8s.io/v1', kind: optionsKinds[operation], dryRun: ['All'] } } : {}),
  };
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

/**
 * The review to decide for a document: an AdmissionReview as it is (checked), anything else
 * synthesized. Throws INPUT_INVALID with a reason when neither works.
 */
export function reviewFor(object: Readonly<Record<string, unknown>>, options: RequestOptions = {}): AdmissionReview & { request: AdmissionRequest } {
  if (isAdmissionReview(object)) return parseAdmissionReview(object);
  return synthesizeReview(object, options);
}

/** Kind, namespace and name of the object a review is about, for naming results. */
export function objectRefOf(review: AdmissionReview & { request: AdmissionRequest }): ObjectRef {
  const request = review.request;
  const object = request.object ?? request.oldObject ?? undefined;
  const name = request.name || (typeof object?.metadata?.name === 'string' ? object.metadata.name : '') ||
    (typeof object?.metadata?.generateName === 'string' ? `${object.metadata.generateName}*` : '<unnamed>');
  return { kind: request.kind.kind, ...(request.namespace ? { namespace: request.namespace } : {}), name };
}

/** "Kind namespace/name", or "Kind name" for cluster-scoped objects. */
export function describeObject(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** Validates an --operation value. */
export function parseOperation(value: string): ManifestOperation {
  const upper = value.toUpperCase();
  if ((manifestOperations as readonly string[]).includes(upper)) return upper as ManifestOperation;
  throw invalid(`operation must be one of ${manifestOperations.join(', ')}, not ${JSON.stringify(value)}`);
}
