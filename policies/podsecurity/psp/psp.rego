# METADATA
# title: Pod security (PodSecurityPolicy, as the admission plugin of Kubernetes v1.24)
# description: |
#   Candidates are the PSPs of config.podSecurity.policies that the requesting
#   user or the pod's service account may `use` (config.podSecurity.rbac),
#   in name order. A Pod is decided as PSP's validating phase: some candidate
#   must admit it unchanged (the mutating webhook, `mutation`, has already
#   defaulted it). A workload's pod template is decided as the pod its
#   controller will create: some candidate must admit it after defaulting.
# custom:
#   id: pod-security
#   action: deny
#   remediation: Change the pod so that a PodSecurityPolicy it may use admits it, or grant it use of one that does (config.podSecurity.rbac).
#   data:
#     - config.podSecurity.policies
#     - config.podSecurity.rbac
#   rules:
#     pod-security.policy: A usable PodSecurityPolicy admits the pod
#     pod-security.privileged: Privileged containers
#     pod-security.privilege-escalation: Privilege escalation
#     pod-security.capabilities: Linux capabilities
#     pod-security.volumes: Volume types
#     pod-security.host-namespaces: Host network, PID and IPC namespaces
#     pod-security.host-ports: Host ports
#     pod-security.run-as-user: User IDs
#     pod-security.run-as-non-root: Running as non-root
#     pod-security.run-as-group: Group IDs
#     pod-security.fs-group: fsGroup
#     pod-security.supplemental-groups: Supplemental groups
#     pod-security.selinux: SELinux options
#     pod-security.read-only-root-filesystem: Read-only root filesystem
#     pod-security.sysctls: Sysctls
#     pod-security.proc-mount: procMount
#     pod-security.runtime-class: Runtime class
#     pod-security.seccomp: Seccomp profiles
#     pod-security.apparmor: AppArmor profiles
package wasmgate.policies.podsecurity.psp

import data.wasmgate.lib.messages
import data.wasmgate.lib.pods
import data.wasmgate.lib.request

metadata := rego.metadata.chain()

psp_annotation := "kubernetes.io/psp"

# --- the pod under review ---

_spec_path := pods.spec_paths[concat("/", [request.group, request.kind])]

is_pod if {
	request.group == ""
	request.kind == "Pod"
}

# {meta, spec, path, meta_path, ctrs}: the pod spec and the metadata beside it
# (the Pod's, or the template's), and its containers ({field, i, c}) in the order
# the provider visits them (init containers, containers, ephemeral containers).
pod := {
	"meta": _obj_at(obj, meta_path),
	"spec": spec,
	"path": concat(".", _spec_path),
	"meta_path": concat(".", meta_path),
	"ctrs": [{"field": f, "i": i, "c": c} |
		some f in ["initContainers", "containers", "ephemeralContainers"]
		some i, c in _arr(spec, f)
		is_object(c)
	],
} if {
	pods.applies
	obj := request.req.object
	is_object(obj)
	spec := object.get(obj, _spec_path, null)
	is_object(spec)
	meta_path := array.concat(array.slice(_spec_path, 0, count(_spec_path) - 1), ["metadata"])
}

_obj_at(obj, path) := v if {
	v := object.get(obj, path, null)
	is_object(v)
} else := {}

# The service account: serviceAccountName, else the deprecated serviceAccount. A Pod
# without one has none (the plugin then asks for the user only); a template's pods
# get "default" from the ServiceAccount admission plugin.
_service_account := sa if {
	some key in ["serviceAccountName", "serviceAccount"]
	sa := pod.spec[key]
	is_string(sa)
	sa != ""
	_first_service_account_key(key)
} else := "default" if not is_pod

_first_service_account_key("serviceAccountName")

_first_service_account_key("serviceAccount") if object.get(pod.spec, "serviceAccountName", "") == ""

# Who creates the pods of a template: the kube-controller-manager controller, as it
# authenticates with --use-service-account-credentials.
# (Function heads, not an object: the WASM runtime would build a rule's object in every evaluation.)
_controller("ReplicaSet") := "replicaset-controller"

_controller("Deployment") := "replicaset-controller"

_controller("StatefulSet") := "statefulset-controller"

_controller("DaemonSet") := "daemon-set-controller"

_controller("Job") := "job-controller"

_controller("CronJob") := "job-controller"

_controller("ReplicationController") := "replication-controller"

_creator := {
	"username": concat(":", ["system:serviceaccount:kube-system", name]),
	"groups": {"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
} if {
	not is_pod
	name := _controller(request.kind)
} else := {"username": request.username, "groups": request.user_groups}

_sa_infos := [service_account_info(request.namespace, _service_account)] if _service_account

else := []

# candidates: the usable PSPs that can be used at all, by name.
candidates := sort({n | some n in _usable; not skipped[n]})

_usable := usable(array.concat([_creator], _sa_infos), request.namespace)

_usable_skipped := {n | some n in _usable; skipped[n]}

# --- deciding ---

_as_is := as_is(pod)

_defaulted[name] := defaulted(pod, psps[name]) if some name in candidates

_changed[name] if {
	some name in candidates
	defaulting_changes(pod, _as_is, psps[name])
}

# What the validating phase compares the pod with: the defaulted pod, less a seccomp pod
# annotation that only mirrors securityContext.seccompProfile. Kubernetes v1.24 copied the field
# into the annotation itself between mutating and validating admission (applySeccompVersionSkew);
# later versions, which wasmgate serves, do not, so its absence is no change.
_validated[name] := _without_synced_seccomp(_defaulted[name], psps[name]) if some name in candidates

_without_synced_seccomp(v, p) := object.union(object.remove(v, ["ann"]), {"ann": object.remove(v.ann, [seccomp_pod_key])}) if {
	synced_seccomp(_as_is, p)
} else := v

_as_is_seccomp_targets := seccomp_targets(pod, _as_is)

_errors_as_is[name] := errors_for_targets(pod, _as_is, _as_is_seccomp_targets, psps[name]) if some name in candidates

_errors_defaulted[name] := _template_errors(name, psps[name]) if some name in candidates

# A template's errors are those of its pods as the controller creates them, defaulted by p; where
# p's defaulting sets nothing at all (the usual complete template), the template as it is, without
# building the defaulted view.
_template_errors(name, p) := errors_for_targets(pod, _as_is, _as_is_seccomp_targets, p) if {
	not defaulting_changes(pod, _as_is, p)
	count(_default_seccomp(_as_is.ann, _as_is.sc, p)) == 0
} else := errors(pod, _defaulted[name], p)

# PSPs that admit the pod as it is.
_admits_as_is(name) if {
	not _changed[name]
	count(_errors_as_is[name]) == 0
}

# Updates that only touch ownerReferences or finalizers (the garbage collector) are not checked.
_gc_fields := ["metadata/ownerReferences", "metadata/finalizers", "metadata/selfLink", "metadata/managedFields"]

_gc_only_update if {
	request.operation == "UPDATE"
	request.sub_resource == ""
	is_object(request.req.oldObject)
	json.remove(request.req.object, _gc_fields) == json.remove(request.req.oldObject, _gc_fields)
}

admitted if {
	is_pod
	some name in candidates
	_admits_as_is(name)
}

admitted if {
	not is_pod
	some name in candidates
	count(_errors_defaulted[name]) == 0
}

_denied if {
	pod
	not admitted
	not _gc_only_update
}

# Why a PSP refuses the pod: its errors for the pod as it is plus, for a Pod, what
# the PSP would default that no error already names; for a template, its errors
# after defaulting.
problems[name] := _errors_as_is[name] | _unapplied_defaults(name) if {
	is_pod
	some name in candidates
}

problems[name] := _errors_defaulted[name] if {
	not is_pod
	some name in candidates
}

_unapplied_defaults(name) := {_err(c.id, c.dot, sprintf("%s is %s, but this PodSecurityPolicy sets %s", [c.dot, c.old, c.new]), "set it so (the wasmgate mutating webhook does)") |
	some c in changes(pod, _as_is, _validated[name])
	not _named_by_error(c.dot, _errors_as_is[name])
}

_named_by_error(dot, errs) if {
	some e in errs
	startswith(e.path, dot)
}

violations contains messages.violation(e.id, e.path, sprintf("%s (PodSecurityPolicy %q); %s", [e.what, name, e.fix])) if {
	_denied
	some name, errs in problems
	some e in errs
}

violations contains messages.violation_no_path("pod-security.policy", msg) if {
	_denied
	count(candidates) == 0
	msg := sprintf("no PodSecurityPolicy can be used by %s (PodSecurityPolicies: %s); grant it use of one (verb use on podsecuritypolicies) with a Role or ClusterRole and a binding in config.podSecurity.rbac", [_who, _list_text(sort({n | some n, _ in psps}))])
}

violations contains messages.violation_no_path("pod-security.policy", msg) if {
	_denied
	some name in _usable_skipped
	msg := sprintf("PodSecurityPolicy %q is usable but skipped: %s; fix it in config.podSecurity.policies", [name, skipped[name]])
}

_who := sprintf("user %q or service account %s/%s", [request.username, request.namespace, _service_account]) if {
	is_pod
	_service_account
} else := sprintf("user %q (the pod names no service account)", [request.username]) if {
	is_pod
} else := sprintf("service account %s/%s or %s", [request.namespace, _service_account, _creator.username])

# --- mutation: PSP's admit phase ---

# The PSP a created Pod gets: the first that admits it unchanged, else the first that
# admits it after defaulting. An updated Pod: the first that admits it as it is,
# trying the one its annotation names first.
profile := names[0] if {
	request.operation == "CREATE"
	names := [n | some n in candidates; _admits_as_is(n)]
	count(names) > 0
} else := names[0] if {
	request.operation == "CREATE"
	names := [n | some n in candidates; count(_errors_defaulted[n]) == 0]
	count(names) > 0
} else := names[0] if {
	request.operation == "UPDATE"
	names := [n | some n in array.concat(_hinted, candidates); _admits_as_is(n)]
	count(names) > 0
}

_hinted := [h] if {
	h := _annotation(_obj(pod.meta, "annotations"), psp_annotation)
	h in candidates
} else := []

default mutation := {"patch": [], "profile": null}

mutation := {"patch": patch(pod, _as_is, object.union(v, {"ann": object.union(v.ann, {psp_annotation: profile})})), "profile": profile} if {
	is_pod
	request.operation == "CREATE"
	request.sub_resource == ""
	v := _defaulted[profile]
} else := {"patch": [], "profile": profile} if {
	is_pod
	request.operation == "UPDATE"
	profile
}
