import { kindKey, splitApiVersion } from '../manifests/kinds.js';
import type { KubeObject } from './types.js';

/**
 * The API server's defaulting that changes what the policies see, applied to a manifest before it is
 * sent, as in Kubernetes v1.35 (pkg/apis/core/v1/defaults.go and zz_generated.defaults.go):
 *
 * - a Pod with `hostNetwork: true`: each port of its containers and initContainers without a
 *   `hostPort` gets `hostPort: <containerPort>` (SetDefaults_Pod; Pods only, not pod templates);
 * - a Pod's containers and initContainers with `resources.limits`: each resource without a request
 *   gets the limit as its request (SetDefaults_Pod; Pods only);
 * - every pod spec (Pods and pod templates): a volume with no source becomes `emptyDir: {}`
 *   (SetDefaults_Volume), and a container port without `protocol` gets `TCP`, in all three container lists;
 * - a Namespace gets the label `kubernetes.io/metadata.name: <name>` (SetDefaults_Namespace).
 *
 * The README lists what is not applied. The object given is never changed: a changed copy is returned.
 */

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

const containerLists = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** Where each kind (`Kind.group`) keeps its pod spec. */
const podSpecPaths: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  'Deployment.apps': ['spec', 'template', 'spec'],
  'ReplicaSet.apps': ['spec', 'template', 'spec'],
  'StatefulSet.apps': ['spec', 'template', 'spec'],
  'DaemonSet.apps': ['spec', 'template', 'spec'],
  'Job.batch': ['spec', 'template', 'spec'],
  'CronJob.batch': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

function at(object: Json, path: readonly string[]): Json | undefined {
  let node: unknown = object;
  for (const key of path) node = isRecord(node) ? node[key] : undefined;
  return isRecord(node) ? node : undefined;
}

/** SetDefaults_Volume: a volume whose every source field is unset is an emptyDir. */
function defaultVolumes(spec: Json): void {
  for (const volume of records(spec.volumes)) {
    if (Object.entries(volume).every(([key, value]) => key === 'name' || value === null || value === undefined)) volume.emptyDir = {};
  }
}

function defaultPortProtocols(spec: Json): void {
  for (const list of containerLists) {
    for (const container of records(spec[list])) {
      for (const port of records(container.ports)) if (port.protocol === undefined || port.protocol === '') port.protocol = 'TCP';
    }
  }
}

/** defaultHostNetworkPorts, for containers and initContainers (ephemeral containers may have no ports). */
function defaultHostNetworkPorts(spec: Json): void {
  if (spec.hostNetwork !== true) return;
  for (const list of ['containers', 'initContainers']) {
    for (const container of records(spec[list])) {
      for (const port of records(container.ports)) {
        if ((port.hostPort === undefined || port.hostPort === 0) && port.containerPort !== undefined) port.hostPort = port.containerPort;
      }
    }
  }
}

function defaultRequestsToLimits(spec: Json): void {
  for (const list of ['containers', 'initContainers']) {
    for (const container of records(spec[list])) {
      const resources = container.resources;
      if (!isRecord(resources) || !isRecord(resources.limits)) continue;
      const requests = isRecord(resources.requests) ? resources.requests : (resources.requests = {});
      for (const [name, limit] of Object.entries(resources.limits)) if (!(name in requests)) requests[name] = limit;
    }
  }
}

/** The object as the API server stores it after defaulting (the parts the policies read). */
export function withApiServerDefaults(object: KubeObject): KubeObject {
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const { group } = splitApiVersion(typeof object.apiVersion === 'string' ? object.apiVersion : '');
  const specPath = Object.hasOwn(podSpecPaths, kindKey(group, kind)) ? podSpecPaths[kindKey(group, kind)] : undefined;
  const namespace = kindKey(group, kind) === 'Namespace' && isRecord(object.metadata) && typeof object.metadata.name === 'string' && object.metadata.name !== '';
  if (!specPath && !namespace) return object;
  const copy = structuredClone(object) as Json;
  if (namespace) {
    const metadata = copy.metadata as Json;
    const labels = isRecord(metadata.labels) ? metadata.labels : (metadata.labels = {});
    labels['kubernetes.io/metadata.name'] = metadata.name;
  }
  const spec = specPath ? at(copy, specPath) : undefined;
  if (spec) {
    if (kind === 'Pod') {
      defaultRequestsToLimits(spec);
      defaultHostNetworkPorts(spec);
    }
    defaultVolumes(spec);
    defaultPortProtocols(spec);
  }
  return copy as KubeObject;
}
