# conftest adapter: wraps each manifest conftest reads into the AdmissionReview `wasmgate eval`
# synthesizes (src/admission/synthesize.ts: a server-side dry-run CREATE by user wasmgate-eval) and
# reports the wasmgate decision's violations as conftest deny / warn results.
package main

import data.wasmgate.main as wasmgate

_parts := split(input.apiVersion, "/")

_group := _parts[0] if count(_parts) == 2

else := ""

_version := _parts[1] if count(_parts) == 2

else := input.apiVersion

_cluster_scoped := {"Namespace", "Node", "PersistentVolume", "StorageClass", "PriorityClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}

_namespace := {} if input.kind in _cluster_scoped

else := {"namespace": object.get(input.metadata, "namespace", "default")}

_gvk := {"group": _group, "version": _version, "kind": input.kind}

_gvr := {"group": _group, "version": _version, "resource": concat("", [lower(input.kind), "s"])}

_review := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"request": object.union(_namespace, {
		"uid": "conftest",
		"kind": _gvk,
		"resource": _gvr,
		"requestKind": _gvk,
		"requestResource": _gvr,
		"name": input.metadata.name,
		"operation": "CREATE",
		"userInfo": {"username": "wasmgate-eval", "groups": ["system:authenticated"]},
		"object": input,
		"oldObject": null,
		"dryRun": true,
	}),
}

_decision := d if {
	review := _review
	d := wasmgate.decision with input as review
}

deny contains sprintf("[%s] %s", [v.policy, v.message]) if {
	some v in _decision.violations
	v.action == "deny"
}

warn contains sprintf("[%s] %s", [v.policy, v.message]) if {
	some v in _decision.violations
	v.action == "warn"
}
