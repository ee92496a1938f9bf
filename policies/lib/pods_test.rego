package wasmgate.lib.pods_test

import data.wasmgate.lib.pods
import data.wasmgate.lib.testdata

_spec := testdata.pod_spec([testdata.container("web")])

_paths(inp) := ps if {
	ps := {p.path | some p in pods.pod_specs} with input as inp
}

_obj(kind, group, version, obj) := {"request": {
	"kind": {"group": group, "version": version, "kind": kind},
	"operation": "CREATE",
	"namespace": "app-a",
	"object": obj,
}}

test_every_pod_bearing_kind if {
	_paths(_obj("Pod", "", "v1", {"spec": _spec})) == {"spec"}
	_paths(_obj("ReplicationController", "", "v1", {"spec": {"template": {"spec": _spec}}})) == {"spec.template.spec"}
	_paths(_obj("PodTemplate", "", "v1", {"template": {"spec": _spec}})) == {"template.spec"}
	every kind in ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"] {
		_paths(_obj(kind, "apps", "v1", {"spec": {"template": {"spec": _spec}}})) == {"spec.template.spec"}
	}
	_paths(_obj("Job", "batch", "v1", {"spec": {"template": {"spec": _spec}}})) == {"spec.template.spec"}
	_paths(_obj("CronJob", "batch", "v1", {"spec": {"jobTemplate": {"spec": {"template": {"spec": _spec}}}}})) == {"spec.jobTemplate.spec.template.spec"}
}

test_other_kinds_and_groups_ignored if {
	_paths(_obj("Deployment", "example.com", "v1", {"spec": {"template": {"spec": _spec}}})) == set()
	_paths(_obj("ConfigMap", "", "v1", {"spec": _spec})) == set()
	_paths(_obj("Pod", "", "v1", {"spec": "nope"})) == set()
	_paths(_obj("Pod", "", "v1", "nope")) == set()
}

test_operations_and_sub_resources if {
	pod := {"spec": _spec}
	_paths({"request": {"kind": {"group": "", "kind": "Pod"}, "operation": "UPDATE", "object": pod}}) == {"spec"}
	_paths({"request": {"kind": {"group": "", "kind": "Pod"}, "operation": "UPDATE", "subResource": "ephemeralcontainers", "object": pod}}) == {"spec"}
	_paths({"request": {"kind": {"group": "", "kind": "Pod"}, "operation": "UPDATE", "subResource": "resize", "object": pod}}) == {"spec"}
	_paths({"request": {"kind": {"group": "", "kind": "Pod"}, "operation": "UPDATE", "subResource": "status", "object": pod}}) == set()
	_paths({"request": {"kind": {"group": "", "kind": "Pod"}, "operation": "DELETE", "oldObject": pod}}) == set()
	_paths({"request": {"kind": {"group": "", "kind": "Pod"}, "operation": "CONNECT", "object": pod}}) == set()
}

test_containers_paths_and_labels if {
	spec := object.union(_spec, {
		"initContainers": [testdata.container("init")],
		"ephemeralContainers": [{"name": "debug", "image": "x"}, "not-an-object"],
		"containers": [testdata.container("web"), {"image": "x"}],
	})
	cs := pods.containers with input as _obj("CronJob", "batch", "v1", {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}})
	{[c.path, pods.label(c)] | some c in cs} == {
		["spec.jobTemplate.spec.template.spec.containers[0]", `container "web"`],
		["spec.jobTemplate.spec.template.spec.containers[1]", "container containers[1]"],
		["spec.jobTemplate.spec.template.spec.initContainers[0]", `init container "init"`],
		["spec.jobTemplate.spec.template.spec.ephemeralContainers[0]", `ephemeral container "debug"`],
	}
}

test_service_account if {
	sas := {p.serviceAccountName | some p in pods.pod_specs} with input as _obj("Pod", "", "v1", {"spec": {"containers": []}})
	sas == {"default"}
	sas2 := {p.serviceAccountName | some p in pods.pod_specs} with input as _obj("Pod", "", "v1", {"spec": {"serviceAccountName": "", "serviceAccount": "old"}})
	sas2 == {"old"}
}

# The concat fast path of container_label says what %q says, for plain names and for the rest.
test_container_label_quotes_as_sprintf if {
	every name in ["web", "Web_1.x-y", "0", `we"b`, `a\b`, "tab\there", "é", " space", "a/b", "a%b"] {
		pods.container_label("initContainers", 2, {"name": name}) == sprintf("%s %q", ["init container", name])
	}
}
