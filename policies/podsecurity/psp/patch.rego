# The difference between two views of a Pod (see defaulting.rego): as field
# changes for messages, and as the RFC 6902 patch the mutating webhook returns.
package wasmgate.policies.podsecurity.psp

import data.wasmgate.lib.request

# The policy id a defaulted field belongs to.
_field_ids := {
	"supplementalGroups": "pod-security.supplemental-groups",
	"fsGroup": "pod-security.fs-group",
	"seLinuxOptions": "pod-security.selinux",
	"runAsUser": "pod-security.run-as-user",
	"runAsGroup": "pod-security.run-as-group",
	"runAsNonRoot": "pod-security.run-as-non-root",
	"capabilities": "pod-security.capabilities",
	"readOnlyRootFilesystem": "pod-security.read-only-root-filesystem",
	"allowPrivilegeEscalation": "pod-security.privilege-escalation",
}

_annotation_id(key) := "pod-security.apparmor" if startswith(key, apparmor_container_prefix)

else := "pod-security.seccomp"

# changes(pod, old, new): [{id, dot (the field path), old, new (as JSON text)}].
changes(pod, old, new) := array.concat(
	array.concat(
		[_change(_field_ids[k], _sc_path(pod, k), old.sc, k, v) | some k, v in new.sc; v != object.get(old.sc, k, null)],
		[_change(_annotation_id(k), _annotation_path(pod, k), old.ann, k, v) | some k, v in new.ann; v != object.get(old.ann, k, null)],
	),
	array.concat(
		[_change("pod-security.runtime-class", concat(".", [pod.path, "runtimeClassName"]), {"runtimeClassName": old.rc}, "runtimeClassName", new.rc) | new.rc != old.rc],
		[_change(_field_ids[f], _csc_path(c, f), old.ctrs[k], f, v) |
			some k, c in pod.ctrs
			some f, v in new.ctrs[k]
			v != object.get(old.ctrs[k], f, null)
		],
	),
)

_change(id, dot, old_obj, key, new) := {"id": id, "dot": dot, "old": _json_or_unset(object.get(old_obj, key, null)), "new": json.marshal(new)}

_json_or_unset(null) := "unset"

_json_or_unset(v) := json.marshal(v) if v != null

# patch(pod, old, new): operations turning the Pod seen as old into new, sorted by
# path. A missing parent object is added whole; present members are replaced.
patch(pod, old, new) := [ops[path] | some path in sort({p | some p, _ in ops})] if {
	all := array.concat(
		array.concat(
			_annotation_ops(pod, new.ann),
			_object_ops("/spec/securityContext", pod.spec, "securityContext", old.sc, new.sc),
		),
		array.concat(
			[_member_op("/spec/runtimeClassName", pod.spec, "runtimeClassName", new.rc) | new.rc != old.rc],
			[op |
				some k, c in pod.ctrs
				some op in _object_ops(concat("", ["/spec/", c.field, "/", format_int(c.i, 10), "/securityContext"]), c.c, "securityContext", old.ctrs[k], new.ctrs[k])
			],
		),
	)
	ops := {op.path: op | some op in all}
}

_annotation_ops(pod, new) := _object_ops("/metadata/annotations", pod.meta, "annotations", _obj(pod.meta, "annotations"), new) if is_object(request.req.object.metadata)

else := [{"op": "add", "path": "/metadata", "value": {"annotations": new}}]

_object_ops(ptr, parent, key, old, new) := ops if {
	changed := [k | some k, v in new; v != object.get(old, k, null)]
	ops := _ops_for(ptr, parent, key, changed, new)
}

_ops_for(ptr, parent, key, changed, new) := [] if {
	count(changed) == 0
} else := [_member_op(ptr, parent, key, new)] if {
	not is_object(object.get(parent, key, null))
} else := [_member_op(concat("/", [ptr, _escape(k)]), parent[key], k, new[k]) | some k in changed]

_member_op(path, parent, key, value) := {"op": "replace", "path": path, "value": value} if _present(parent, key)

else := {"op": "add", "path": path, "value": value}

# JSON pointer escaping (RFC 6901).
_escape(key) := replace(replace(key, "~", "~0"), "/", "~1")
