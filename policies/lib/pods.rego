# METADATA
# title: Pods inside admission requests
# description: |
#   Finds every pod spec an object carries (Pod, workload templates, CronJob
#   job templates, PodTemplate) and every container in it, with the real
#   field path for that kind. Pod rules only look at CREATE and UPDATE of the
#   object itself or of the pods/ephemeralcontainers and pods/resize
#   subresources; DELETE and other subresources (status, binding, eviction,
#   ...) never trigger them.
package wasmgate.lib.pods

import data.wasmgate.lib.chars
import data.wasmgate.lib.request

# Where the pod spec lives, by "group/Kind". This table and container_fields are read from
# data.prepared.pods when the host has prepared the data (main's prepare): the WASM runtime builds
# a rule's value anew in every evaluation.
spec_paths := t if {
	t := data.prepared.pods.spec_paths
} else := {
	"/Pod": ["spec"],
	"/ReplicationController": ["spec", "template", "spec"],
	"/PodTemplate": ["template", "spec"],
	"apps/Deployment": ["spec", "template", "spec"],
	"apps/ReplicaSet": ["spec", "template", "spec"],
	"apps/StatefulSet": ["spec", "template", "spec"],
	"apps/DaemonSet": ["spec", "template", "spec"],
	"extensions/Deployment": ["spec", "template", "spec"],
	"extensions/ReplicaSet": ["spec", "template", "spec"],
	"extensions/DaemonSet": ["spec", "template", "spec"],
	"batch/Job": ["spec", "template", "spec"],
	"batch/CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

# The container lists of a pod spec and how messages call their members.
container_fields := t if {
	t := data.prepared.pods.container_fields
} else := {
	"containers": "container",
	"initContainers": "init container",
	"ephemeralContainers": "ephemeral container",
}

# True when pod rules apply to this request. (Functions of constants rather than sets: the WASM
# runtime would build a set rule anew in every evaluation.)
applies if {
	_checked_operation(request.operation)
	_checked_sub_resource(request.sub_resource)
	_path
}

_checked_operation("CREATE")

_checked_operation("UPDATE")

# pods/ephemeralcontainers (kubectl debug) and pods/resize (in-place resize) carry the whole Pod.
_checked_sub_resource("")

_checked_sub_resource("ephemeralcontainers")

_checked_sub_resource("resize")

_path := spec_paths[concat("/", [request.group, request.kind])]

# The pod spec of the request ({spec, path, serviceAccountName}) by its path;
# at most one. Keyed by path, not a set: OPA's WASM runtime hashes a whole
# value each time it puts one in a set, and this one holds the whole spec.
pod_specs[path] := {"spec": spec, "path": path, "serviceAccountName": _service_account(spec)} if {
	applies
	is_object(request.req.object)
	spec := object.get(request.req.object, _path, null)
	is_object(spec)
	path := concat(".", _path)
}

# Every container, init container and ephemeral container of the request by
# its path: {container, field, i (its index), path, pod}. How messages name it is label(c), made
# only for a message: built for every container of every request, it had cost ~3 % of a decision.
containers[c.path] := c if {
	some pod in pod_specs
	some field, _ in container_fields
	some i, ctr in pod.spec[field]
	is_object(ctr)
	c := {
		"container": ctr,
		"field": field,
		"i": i,
		"path": concat("", [pod.path, ".", field, "[", format_int(i, 10), "]"]),
		"pod": pod,
	}
}

# label(c): how messages name a container of `containers` ("container \"web\"").
label(c) := container_label(c.field, c.i, c.container)

# container_label(field, i, ctr): how messages name a container ("container \"web\"", "init container initContainers[0]").
# The usual name (a DNS label) is quoted with concat: %q leaves such characters as they are, and
# sprintf is a call out of WASM into the host.
container_label(field, i, ctr) := concat("", [container_fields[field], " \"", ctr.name, "\""]) if {
	is_string(ctr.name)
	ctr.name != ""
	chars.only(ctr.name, _plain)
} else := sprintf("%s %q", [container_fields[field], ctr.name]) if {
	is_string(ctr.name)
	ctr.name != ""
} else := sprintf("%s %s[%d]", [container_fields[field], field, i])

# Letters, digits and "-._", the usual ones first (chars.only compares each character with the
# cutset's in turn).
_plain := "eaoinrstlc0123456789-dumhgpbykfwvxjqz._ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# A pod without serviceAccountName uses the deprecated serviceAccount, else "default".
_service_account(spec) := sa if {
	sa := spec.serviceAccountName
	is_string(sa)
	sa != ""
} else := sa if {
	sa := spec.serviceAccount
	is_string(sa)
	sa != ""
} else := "default"

# What main's prepare stores under data.prepared.pods.
prepared := {"spec_paths": spec_paths, "container_fields": container_fields}
