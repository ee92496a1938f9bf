# Shared builders for the unit tests: AdmissionReview inputs and compliant
# pod specs that individual tests then break in one place.
package wasmgate.lib.testdata

# A container that passes every default policy.
container(name) := {
	"name": name,
	"image": "quay.io/cybozu/ubuntu:22.04",
	"resources": {
		"limits": {"cpu": "500m", "memory": "256Mi"},
		"requests": {"cpu": "100m", "memory": "128Mi"},
	},
	"securityContext": {
		"allowPrivilegeEscalation": false,
		"capabilities": {"drop": ["ALL"]},
		"readOnlyRootFilesystem": true,
		"runAsNonRoot": true,
		"runAsUser": 10000,
	},
}

# container(name) deep-merged with patch.
container_with(name, patch) := object.union(container(name), patch)

# A compliant pod spec with the given containers.
pod_spec(containers) := {
	"serviceAccountName": "web",
	"securityContext": {"fsGroup": 10000},
	"volumes": [{"name": "tmp", "emptyDir": {}}],
	"containers": containers,
}

kinds := {
	"Pod": {"group": "", "version": "v1", "kind": "Pod"},
	"Deployment": {"group": "apps", "version": "v1", "kind": "Deployment"},
	"CronJob": {"group": "batch", "version": "v1", "kind": "CronJob"},
	"PodTemplate": {"group": "", "version": "v1", "kind": "PodTemplate"},
	"Namespace": {"group": "", "version": "v1", "kind": "Namespace"},
	"ConfigMap": {"group": "", "version": "v1", "kind": "ConfigMap"},
	"CalicoNetworkPolicy": {"group": "crd.projectcalico.org", "version": "v1", "kind": "NetworkPolicy"},
	"CalicoNetworkPolicyV3": {"group": "projectcalico.org", "version": "v3", "kind": "NetworkPolicy"},
	"GlobalNetworkPolicy": {"group": "crd.projectcalico.org", "version": "v1", "kind": "GlobalNetworkPolicy"},
	"GlobalNetworkSet": {"group": "projectcalico.org", "version": "v3", "kind": "GlobalNetworkSet"},
	"K8sNetworkPolicy": {"group": "networking.k8s.io", "version": "v1", "kind": "NetworkPolicy"},
}

# review(kind, namespace, name, object): a CREATE by a non-admin user.
review(kind, ns, name, obj) := {"request": {
	"uid": "00000000-0000-0000-0000-000000000000",
	"kind": kinds[kind],
	"namespace": ns,
	"name": name,
	"operation": "CREATE",
	"userInfo": {"username": "alice", "groups": ["system:authenticated", "dev"]},
	"object": obj,
}}

# review(...) with request fields replaced (operation, userInfo, subResource, ...).
review_with(kind, ns, name, obj, fields) := {"request": object.union(review(kind, ns, name, obj).request, fields)}

pod(ns, spec) := review("Pod", ns, "web", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": ns}, "spec": spec})

deployment(ns, spec) := review("Deployment", ns, "web", {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {
		"selector": {"matchLabels": {"app": "web"}},
		"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec},
	},
})

# The violations of the policies wasmgate ships (by family; "config" for invalid data): tests of
# the decision compare these, so that a policy added to the set breaks none of them.
shipped(violations) := [v | some v in violations; split(v.policy, ".")[0] in _shipped_families]

_shipped_families := {"calico", "system-namespaces", "registries", "limits", "pod-security", "bounds", "config"}

# Policies (as a set) of a set of violations.
policies(violations) := {v.policy | some v in violations}

# The violations of one policy id.
of(violations, id) := {v | some v in violations; v.policy == id}

# data.config with one section replaced (not merged).
config_with(key, value) := object.union(object.remove(data.config, [key]), {key: value})
