# A small stand-in for the real policy set, with the same contract:
# decision {allowed, violations: [{policy, message, action, path?}]}, config_errors and mutation
# {patch, profile}: a Pod created with images from the registry is admitted under profile "good",
# its containers defaulted to imagePullPolicy Always (which the decision asks of every Pod).
package wasmgate.main

_req := object.get(input, "request", {})

_obj := o if {
	o := _req.object
	is_object(o)
} else := o if {
	o := _req.oldObject
	is_object(o)
} else := {}

_name := object.get(_obj, ["metadata", "name"], "<unnamed>")

_label := sprintf("%s %s", [object.get(_obj, "kind", ""), _name])

_pod_spec := [_obj.spec, "spec"] if _obj.kind == "Pod"

_pod_spec := [_obj.spec.template.spec, "spec.template.spec"] if _obj.kind == "Deployment"

_admin if _req.userInfo.username in data.config.admins

_found contains {
	"policy": "registries",
	"action": "deny",
	"path": sprintf("%s.containers[%d].image", [_pod_spec[1], i]),
	"message": sprintf("%s: image %q is not from %s", [_label, c.image, data.config.registry]),
} if {
	_req.operation in {"CREATE", "UPDATE"}
	some i, c in _pod_spec[0].containers
	not startswith(c.image, data.config.registry)
}

_found contains {"policy": "labels", "action": "warn", "path": "metadata.labels", "message": sprintf("%s has no team label", [_label])} if {
	_req.operation in {"CREATE", "UPDATE"}
	not _obj.metadata.labels.team
}

# What the mutation defaults, the decision requires: a pod it defaulted passes, one it did not (an
# update) is told.
_found contains {
	"policy": "stale-images",
	"action": "warn",
	"path": sprintf("spec.containers[%d].imagePullPolicy", [i]),
	"message": sprintf("%s: container %s may run a stale image: set imagePullPolicy Always", [_label, c.name]),
} if {
	_req.operation in {"CREATE", "UPDATE"}
	_obj.kind == "Pod"
	some i, c in _obj.spec.containers
	object.get(c, "imagePullPolicy", "IfNotPresent") != "Always"
}

_found contains {"policy": "locked", "action": "deny", "message": sprintf("%s: user %q may not change namespace locked", [_label, _req.userInfo.username])} if {
	_req.namespace == "locked"
	not _admin
}

_found contains {"policy": "keep", "action": "deny", "message": sprintf("%s may not be deleted", [_label])} if {
	_req.operation == "DELETE"
	_obj.kind == "Namespace"
}

_by_key := {concat("\n", [v.policy, object.get(v, "path", ""), v.message]): v | some v in _found}

_violations := [_by_key[k] | some k in sort({k | some k, _ in _by_key})]

default allowed := true

allowed := false if {
	some v in _found
	v.action == "deny"
}

decision := {"allowed": allowed, "violations": _violations}

config_errors contains "config.registry must be a string" if not is_string(data.config.registry)

_admissible_pod if {
	_req.operation == "CREATE"
	_obj.kind == "Pod"
	every c in _obj.spec.containers {
		startswith(c.image, data.config.registry)
	}
}

_pull_always := [{"op": "add", "path": sprintf("/spec/containers/%d/imagePullPolicy", [i]), "value": "Always"} |
	some i, c in _obj.spec.containers
	not c.imagePullPolicy
]

mutation := {"patch": _pull_always, "profile": "good"} if {
	_admissible_pod
} else := {"patch": [], "profile": null}
