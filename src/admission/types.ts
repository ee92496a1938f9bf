/**
 * The Kubernetes AdmissionReview wire types (admission.k8s.io/v1 and v1beta1 share the shape),
 * declared here by hand and read-only: only the fields wasmgate reads or writes.
 */
export const admissionApiVersions = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof admissionApiVersions)[number];

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export const operations: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly generateName?: string;
    readonly namespace?: string;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  readonly requestKind?: GroupVersionKind;
  readonly requestResource?: GroupVersionResource;
  readonly requestSubResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo: UserInfo;
  readonly object?: KubeObject | null;
  readonly oldObject?: KubeObject | null;
  readonly dryRun?: boolean;
  readonly options?: unknown;
}

export interface AdmissionStatus {
  readonly code?: number;
  readonly message?: string;
  readonly reason?: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  readonly warnings?: readonly string[];
  /** A mutating webhook's change: always "JSONPatch", and only with a patch. */
  readonly patchType?: 'JSONPatch';
  /** The RFC 6902 operations as base64 of their JSON. */
  readonly patch?: string;
}

export interface AdmissionReview {
  readonly apiVersion: AdmissionApiVersion;
  readonly kind: 'AdmissionReview';
  readonly request?: AdmissionRequest;
  readonly response?: AdmissionResponse;
}
