package wasmgate.lib.request_test

import data.wasmgate.lib.request

test_empty_input if {
	request.req == {} with input as {}
	request.obj == {} with input as {}
	request.operation == "" with input as {}
	request.kind == "" with input as {}
	request.group == "" with input as {}
	request.namespace == "" with input as {}
	request.name == "<unnamed>" with input as {}
	request.username == "" with input as {}
	request.sub_resource == "" with input as {}
	not request.is_admin with input as {}
}

test_fields if {
	inp := {"request": {
		"kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
		"namespace": "app-a",
		"name": "web",
		"operation": "UPDATE",
		"subResource": "status",
		"userInfo": {"username": "alice", "groups": ["a", 1, "b"]},
		"object": {"metadata": {"name": "web"}},
	}}
	request.kind == "Deployment" with input as inp
	request.group == "apps" with input as inp
	request.namespace == "app-a" with input as inp
	request.name == "web" with input as inp
	request.operation == "UPDATE" with input as inp
	request.sub_resource == "status" with input as inp
	request.user_groups == {"a", "b"} with input as inp
	request.label == "Deployment app-a/web" with input as inp
}

test_kind_from_object_when_request_kind_missing if {
	inp := {"request": {"operation": "CREATE", "object": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"namespace": "ns", "generateName": "job-"}}}}
	request.kind == "Job" with input as inp
	request.group == "batch" with input as inp
	request.namespace == "ns" with input as inp
	request.name == "job-*" with input as inp
	request.label == "Job ns/job-*" with input as inp
	core := {"request": {"object": {"apiVersion": "v1", "kind": "Pod"}}}
	request.group == "" with input as core
}

test_delete_uses_old_object if {
	inp := {"request": {"operation": "DELETE", "object": null, "oldObject": {"kind": "Secret", "metadata": {"name": "s"}}}}
	request.obj.metadata.name == "s" with input as inp
	request.name == "s" with input as inp
}

test_cluster_scoped_labels if {
	ns := {"request": {"kind": {"group": "", "kind": "Namespace"}, "namespace": "kube-system", "name": "kube-system"}}
	request.label == "Namespace kube-system" with input as ns
	gnp := {"request": {"kind": {"group": "crd.projectcalico.org", "kind": "GlobalNetworkPolicy"}, "namespace": "default", "name": "deny"}}
	request.label == "GlobalNetworkPolicy deny" with input as gnp
	cr := {"request": {"kind": {"group": "example.com", "kind": "Widget"}, "namespace": "", "name": "w"}}
	request.label == "Widget w" with input as cr
}

test_unnamed_object if {
	inp := {"request": {"kind": {"group": "", "kind": "Pod"}, "namespace": "a", "name": "", "object": {"metadata": {}}}}
	request.label == "Pod a/<unnamed>" with input as inp
}
