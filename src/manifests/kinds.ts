/**
 * What the API server knows about a kind: its resource (plural) name and whether it lives in a
 * namespace. Built-in Kubernetes kinds, Calico's (projectcalico.org/v3 through the API server,
 * crd.projectcalico.org/v1 as CRDs), cert-manager's and coil's; any other kind is guessed the way kubectl guesses.
 */
export interface KindInfo {
  readonly resource: string;
  readonly namespaced: boolean;
}

type Table = Readonly<Record<string, readonly [resource: string, namespaced: boolean]>>;

const builtin: Readonly<Record<string, Table>> = {
  '': {
    Binding: ['bindings', true],
    ConfigMap: ['configmaps', true],
    Endpoints: ['endpoints', true],
    Event: ['events', true],
    LimitRange: ['limitranges', true],
    Namespace: ['namespaces', false],
    Node: ['nodes', false],
    PersistentVolume: ['persistentvolumes', false],
    PersistentVolumeClaim: ['persistentvolumeclaims', true],
    Pod: ['pods', true],
    PodTemplate: ['podtemplates', true],
    ReplicationController: ['replicationcontrollers', true],
    ResourceQuota: ['resourcequotas', true],
    Secret: ['secrets', true],
    Service: ['services', true],
    ServiceAccount: ['serviceaccounts', true],
    ComponentStatus: ['componentstatuses', false],
  },
  apps: {
    ControllerRevision: ['controllerrevisions', true],
    DaemonSet: ['daemonsets', true],
    Deployment: ['deployments', true],
    ReplicaSet: ['replicasets', true],
    StatefulSet: ['statefulsets', true],
  },
  batch: { CronJob: ['cronjobs', true], Job: ['jobs', true] },
  autoscaling: { HorizontalPodAutoscaler: ['horizontalpodautoscalers', true] },
  // PodSecurityPolicy was removed in Kubernetes 1.25; clusters that keep its manifests keep them cluster-scoped.
  policy: { PodDisruptionBudget: ['poddisruptionbudgets', true], PodSecurityPolicy: ['podsecuritypolicies', false] },
  'networking.k8s.io': {
    Ingress: ['ingresses', true],
    IngressClass: ['ingressclasses', false],
    NetworkPolicy: ['networkpolicies', true],
  },
  'rbac.authorization.k8s.io': {
    ClusterRole: ['clusterroles', false],
    ClusterRoleBinding: ['clusterrolebindings', false],
    Role: ['roles', true],
    RoleBinding: ['rolebindings', true],
  },
  'storage.k8s.io': {
    CSIDriver: ['csidrivers', false],
    CSINode: ['csinodes', false],
    StorageClass: ['storageclasses', false],
    VolumeAttachment: ['volumeattachments', false],
  },
  'scheduling.k8s.io': { PriorityClass: ['priorityclasses', false] },
  'node.k8s.io': { RuntimeClass: ['runtimeclasses', false] },
  'coordination.k8s.io': { Lease: ['leases', true] },
  'discovery.k8s.io': { EndpointSlice: ['endpointslices', true] },
  'apiextensions.k8s.io': { CustomResourceDefinition: ['customresourcedefinitions', false] },
  'admissionregistration.k8s.io': {
    MutatingWebhookConfiguration: ['mutatingwebhookconfigurations', false],
    ValidatingWebhookConfiguration: ['validatingwebhookconfigurations', false],
    ValidatingAdmissionPolicy: ['validatingadmissionpolicies', false],
    ValidatingAdmissionPolicyBinding: ['validatingadmissionpolicybindings', false],
  },
  'apiregistration.k8s.io': { APIService: ['apiservices', false] },
  'certificates.k8s.io': { CertificateSigningRequest: ['certificatesigningrequests', false] },
};

const calico: Table = {
  BGPConfiguration: ['bgpconfigurations', false],
  BGPFilter: ['bgpfilters', false],
  BGPPeer: ['bgppeers', false],
  BlockAffinity: ['blockaffinities', false],
  CalicoNodeStatus: ['caliconodestatuses', false],
  ClusterInformation: ['clusterinformations', false],
  FelixConfiguration: ['felixconfigurations', false],
  GlobalNetworkPolicy: ['globalnetworkpolicies', false],
  GlobalNetworkSet: ['globalnetworksets', false],
  HostEndpoint: ['hostendpoints', false],
  IPAMConfiguration: ['ipamconfigurations', false],
  IPPool: ['ippools', false],
  IPReservation: ['ipreservations', false],
  KubeControllersConfiguration: ['kubecontrollersconfigurations', false],
  NetworkPolicy: ['networkpolicies', true],
  NetworkSet: ['networksets', true],
  Profile: ['profiles', false],
  StagedGlobalNetworkPolicy: ['stagedglobalnetworkpolicies', false],
  StagedKubernetesNetworkPolicy: ['stagedkubernetesnetworkpolicies', true],
  StagedNetworkPolicy: ['stagednetworkpolicies', true],
  Tier: ['tiers', false],
  WorkloadEndpoint: ['workloadendpoints', true],
};

// cert-manager, which wasmgate's own deploy/ uses (scopes as its CRDs say).
const certManager: Readonly<Record<string, Table>> = {
  'cert-manager.io': {
    Certificate: ['certificates', true],
    CertificateRequest: ['certificaterequests', true],
    ClusterIssuer: ['clusterissuers', false],
    Issuer: ['issuers', true],
  },
  'acme.cert-manager.io': { Challenge: ['challenges', true], Order: ['orders', true] },
};

const tables: Readonly<Record<string, Table>> = {
  ...builtin,
  ...certManager,
  'projectcalico.org': calico,
  // Calico's IPAM state exists only as CRDs.
  'crd.projectcalico.org': { ...calico, IPAMBlock: ['ipamblocks', false], IPAMConfig: ['ipamconfigs', false], IPAMHandle: ['ipamhandles', false] },
  // coil (cybozu-go/coil v2), the CNI of the clusters these policies come from.
  'coil.cybozu.com': { AddressBlock: ['addressblocks', false], AddressPool: ['addresspools', false] },
};

/** kubectl's guess for a kind it has no discovery data for (meta.UnsafeGuessKindToResource). */
export function guessResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === '') return '';
  if (/(?:s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** Kinds defined by CustomResourceDefinitions, keyed by `kindKey`. */
export type CustomKinds = ReadonlyMap<string, KindInfo>;

/** `Kind.group` (as kubectl writes a GroupKind), or `Kind` for the core group. */
export function kindKey(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The kind a CustomResourceDefinition object defines (apiextensions.k8s.io v1 or v1beta1), with
 * its plural and scope; undefined for anything else or a CRD missing those fields.
 */
export function crdDefinition(object: Readonly<Record<string, unknown>>): ({ group: string; kind: string } & KindInfo) | undefined {
  if (object.kind !== 'CustomResourceDefinition' || typeof object.apiVersion !== 'string') return undefined;
  if (!object.apiVersion.startsWith('apiextensions.k8s.io/')) return undefined;
  const spec = object.spec;
  if (!isRecord(spec) || !isRecord(spec.names)) return undefined;
  const { group, scope } = spec;
  const { kind, plural } = spec.names;
  if (typeof group !== 'string' || typeof kind !== 'string' || typeof plural !== 'string') return undefined;
  if (scope !== 'Cluster' && scope !== 'Namespaced') return undefined;
  return { group, kind, resource: plural, namespaced: scope === 'Namespaced' };
}

/**
 * The resource and scope of group/kind: from a CustomResourceDefinition given, else the table of
 * built-in and Calico kinds, else taken as namespaced (most custom resources are) with kubectl's
 * guessed plural and `known: false`.
 */
export function kindInfo(group: string, kind: string, custom?: CustomKinds): KindInfo & { readonly known: boolean } {
  const defined = custom?.get(kindKey(group, kind));
  if (defined) return { ...defined, known: true };
  const entry = tables[group]?.[kind];
  if (entry) return { resource: entry[0], namespaced: entry[1], known: true };
  return { resource: guessResource(kind), namespaced: true, known: false };
}

/** Splits an apiVersion ("apps/v1", "v1") into group and version. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
