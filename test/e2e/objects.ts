// The objects the suite sends. The compliant Pod passes every default policy and the API server's own
// PodSecurity `restricted` level (enforced on wasmgate-system by deploy/namespace.yaml).

export type Obj = Record<string, any>;

export const testNamespace = 'e2e-apps';
export const allowedImage = 'quay.io/cybozu/ubuntu:22.04';
export const otherAllowedImage = 'ghcr.io/cybozu/ubuntu:24.04';
export const dockerHubImage = 'docker.io/library/nginx:1.27';

export const restrictedContainerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

export function compliantPod(name: string, namespace = testNamespace, options: { image?: string; labels?: Record<string, string> } = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name, ...options.labels } },
    spec: {
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10000,
        runAsGroup: 10000,
        fsGroup: 10000,
        supplementalGroups: [10001],
        // wasmgate's own namespace enforces the Pod Security Standard restricted, which requires a
        // seccomp profile; the default restricted PodSecurityPolicy allows none elsewhere (as PSP
        // did), the PSP "wasmgate" of that namespace allows RuntimeDefault.
        ...(namespace === 'wasmgate-system' ? { seccompProfile: { type: 'RuntimeDefault' } } : {}),
      },
      containers: [
        {
          name: 'main',
          image: options.image ?? allowedImage,
          command: ['sleep', 'infinity'],
          resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
          securityContext: restrictedContainerSecurity,
        },
      ],
    },
  };
}

/** A Pod as a newcomer writes it: a Docker Hub image, no limits, no security context. */
export function naivePod(name: string, namespace = testNamespace): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'web', image: dockerHubImage }] },
  };
}

/** A Pod that PSP's restricted policy would have completed: allowed image and limits, but no security settings. */
export function barePod(name: string, namespace = testNamespace): Obj {
  const pod = compliantPod(name, namespace);
  delete pod.spec.securityContext;
  delete pod.spec.containers[0].securityContext;
  return pod;
}

export function deployment(name: string, image: string): Obj {
  const template = compliantPod(name, testNamespace, { image });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: testNamespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: { metadata: { labels: template.metadata.labels }, spec: template.spec },
    },
  };
}

export function configMap(name: string, namespace: string): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { written: 'by the e2e suite' } };
}

export const calicoGroups = ['crd.projectcalico.org', 'projectcalico.org'] as const;

/** The smallest CRD that serves Calico's NetworkPolicy in `group` (the API server stores what it is given). */
export function calicoCrd(group: string): Obj {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `networkpolicies.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', listKind: 'NetworkPolicyList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          },
        },
      ],
    },
  };
}

export function calicoPolicy(group: string, name: string, order: number): Obj {
  return {
    apiVersion: `${group}/v1`,
    kind: 'NetworkPolicy',
    metadata: { name, namespace: testNamespace },
    spec: { order, selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Allow' }] },
  };
}

/** What alice, who is no admin, may do: RBAC lets her write everything the suite tries, so that a denial is wasmgate's. */
export function developerRbac(user: string): Obj[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'e2e-developer' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'pods/ephemeralcontainers', 'configmaps'], verbs: ['*'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] },
        { apiGroups: [...calicoGroups], resources: ['networkpolicies'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'e2e-developer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-developer' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  ];
}

export function list(items: Obj[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
