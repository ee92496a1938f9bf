# METADATA
# title: Pod security (the PodSecurityPolicy "restricted" profile)
# description: |
#   Checks every pod spec against the profile bound to its (namespace,
#   serviceAccountName), by default "restricted". Container rules cover
#   containers, init containers and ephemeral containers; container
#   securityContext values override the pod's where Kubernetes does.
package wasmgate.podsecurity

import data.wasmgate.lib.messages
import data.wasmgate.lib.pods
import data.wasmgate.lib.request

policy_ids := {
	"pod-security.privileged",
	"pod-security.privilege-escalation",
	"pod-security.capabilities",
	"pod-security.volumes",
	"pod-security.host-namespaces",
	"pod-security.host-ports",
	"pod-security.run-as-non-root",
	"pod-security.fs-group",
	"pod-security.supplemental-groups",
	"pod-security.read-only-root-filesystem",
}

# The profile that applies to a pod spec: {name, fields}.
pod_profile(pod) := {"name": name, "fields": profile(name)} if {
	name := profile_name(request.namespace, pod.serviceAccountName)
}

# " (pod-security profile \"name\")", appended to messages.
_profile_note(p) := sprintf(" (pod-security profile %q)", [p.name])

_profile(p) := sprintf("pod-security profile %q", [p.name])

_sc(c) := sc if {
	sc := c.container.securityContext
	is_object(sc)
} else := {}

_pod_sc(pod) := sc if {
	sc := pod.spec.securityContext
	is_object(sc)
} else := {}

_with_profile contains {"c": c, "p": pod_profile(c.pod)} if some c in pods.containers

# --- privileged ---

violations contains messages.violation("pod-security.privileged", concat(".", [c.path, "securityContext.privileged"]), msg) if {
	some x in _with_profile
	c := x.c
	x.p.fields.privileged != true
	_sc(c).privileged == true
	msg := sprintf("%s is privileged%s; set securityContext.privileged: false", [c.label, _profile_note(x.p)])
}

# --- allowPrivilegeEscalation: must be explicitly false ---

violations contains messages.violation("pod-security.privilege-escalation", concat(".", [c.path, "securityContext.allowPrivilegeEscalation"]), msg) if {
	some x in _with_profile
	c := x.c
	x.p.fields.allowPrivilegeEscalation != true
	value := object.get(_sc(c), "allowPrivilegeEscalation", null)
	value != false
	msg := sprintf("%s %s%s; set securityContext.allowPrivilegeEscalation: false", [c.label, _escalation_found(value), _profile_note(x.p)])
}

_escalation_found(null) := "does not set securityContext.allowPrivilegeEscalation"

_escalation_found(v) := sprintf("sets securityContext.allowPrivilegeEscalation to %v", [v]) if v != null

# --- capabilities ---

_caps(c, list) := [x | some x in object.get(_sc(c), ["capabilities", list], [])]

# Capability names compare without the CAP_ prefix ("CAP_NET_RAW" is "NET_RAW").
_cap_name(x) := trim_prefix(x, "CAP_")

_drops_all(c) if "ALL" in _caps(c, "drop")

violations contains messages.violation("pod-security.capabilities", concat(".", [c.path, "securityContext.capabilities.drop"]), msg) if {
	some x in _with_profile
	c := x.c
	not _drops_all(c)
	dropped := {_cap_name(d) | some d in _caps(c, "drop"); is_string(d)}
	some required in x.p.fields.requiredDropCapabilities
	not _cap_name(required) in dropped
	msg := sprintf("%s does not drop the capability %q%s; add %q to securityContext.capabilities.drop", [c.label, required, _profile_note(x.p), required])
}

violations contains messages.violation("pod-security.capabilities", sprintf("%s.securityContext.capabilities.add[%d]", [c.path, i]), msg) if {
	some x in _with_profile
	c := x.c
	some i, added in _caps(c, "add")
	not _cap_allowed(added, x.p.fields.allowedCapabilities)
	msg := sprintf("%s adds the capability %v, which %s does not allow (allowed: %s); remove it from securityContext.capabilities.add", [c.label, added, _profile(x.p), messages.list(x.p.fields.allowedCapabilities)])
}

_cap_allowed(_, allowed) if "*" in allowed

_cap_allowed(added, allowed) if {
	is_string(added)
	some a in allowed
	_cap_name(upper(added)) == _cap_name(upper(a))
}

# --- volumes ---

_volume_types(v) := {t | some t, _ in v; t != "name"}

violations contains messages.violation("pod-security.volumes", sprintf("%s.volumes[%d]", [pod.path, i]), msg) if {
	some pod in pods.pod_specs
	p := pod_profile(pod)
	not "*" in p.fields.volumes
	some i, v in pod.spec.volumes
	some t in _volume_types(v)
	not t in p.fields.volumes
	msg := sprintf("volume %q is of type %s, which %s does not allow (allowed: %s); use an allowed volume type", [object.get(v, "name", ""), t, _profile(p), messages.list(p.fields.volumes)])
}

# --- host namespaces ---

violations contains messages.violation("pod-security.host-namespaces", concat(".", [pod.path, field]), msg) if {
	some pod in pods.pod_specs
	p := pod_profile(pod)
	some field in ["hostNetwork", "hostIPC", "hostPID"]
	pod.spec[field] == true
	p.fields[field] != true
	msg := sprintf("the pod sets %s: true%s; remove it or set it to false", [field, _profile_note(p)])
}

# --- host ports ---

violations contains messages.violation("pod-security.host-ports", sprintf("%s.ports[%d].hostPort", [c.path, i]), msg) if {
	some x in _with_profile
	c := x.c
	some i, port in c.container.ports
	host_port := port.hostPort
	not host_port in {0, null}
	not _in_ranges(host_port, x.p.fields.hostPorts)
	msg := sprintf("%s uses hostPort %v, which %s does not allow (allowed: %s); remove the hostPort and use a Service", [c.label, host_port, _profile(x.p), _ranges_text(x.p.fields.hostPorts)])
}

_in_ranges(n, ranges) if {
	is_number(n)
	some r in ranges
	r.min <= n
	n <= r.max
}

_ranges_text(ranges) := messages.list([sprintf("%v-%v", [r.min, r.max]) | some r in ranges])

# --- run as non-root: container values override pod values ---

# The effective value of a securityContext field and where it was set.
_effective(c, field) := {"value": v, "path": concat(".", [c.path, "securityContext", field])} if {
	v := _sc(c)[field]
	v != null
} else := {"value": v, "path": concat(".", [c.pod.path, "securityContext", field])} if {
	v := _pod_sc(c.pod)[field]
	v != null
} else := {"value": null, "path": concat(".", [c.path, "securityContext", field])}

violations contains messages.violation("pod-security.run-as-non-root", user.path, msg) if {
	some x in _with_profile
	c := x.c
	x.p.fields.runAsUser.rule == "MustRunAsNonRoot"
	user := _effective(c, "runAsUser")
	user.value == 0
	msg := sprintf("%s runs as root (runAsUser: 0)%s; set runAsUser to a non-zero UID and runAsNonRoot: true", [c.label, _profile_note(x.p)])
}

violations contains messages.violation("pod-security.run-as-non-root", non_root.path, msg) if {
	some x in _with_profile
	c := x.c
	x.p.fields.runAsUser.rule == "MustRunAsNonRoot"
	user := _effective(c, "runAsUser")
	user.value != 0
	not _non_zero_uid(user.value)
	non_root := _effective(c, "runAsNonRoot")
	non_root.value != true
	msg := sprintf("%s may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set%s; set securityContext.runAsNonRoot: true (and runAsUser to a non-zero UID)", [c.label, _profile_note(x.p)])
}

_non_zero_uid(uid) if {
	is_number(uid)
	uid > 0
}

# --- fsGroup and supplementalGroups (pod level) ---

violations contains messages.violation("pod-security.fs-group", concat(".", [pod.path, "securityContext.fsGroup"]), msg) if {
	some pod in pods.pod_specs
	p := pod_profile(pod)
	p.fields.fsGroup.rule == "MustRunAs"
	group := _pod_sc(pod).fsGroup
	group != null
	not _in_ranges(group, p.fields.fsGroup.ranges)
	msg := sprintf("the pod sets fsGroup %v, which %s does not allow (allowed: %s); set securityContext.fsGroup within the allowed ranges", [group, _profile(p), _ranges_text(p.fields.fsGroup.ranges)])
}

violations contains messages.violation("pod-security.supplemental-groups", sprintf("%s.securityContext.supplementalGroups[%d]", [pod.path, i]), msg) if {
	some pod in pods.pod_specs
	p := pod_profile(pod)
	p.fields.supplementalGroups.rule == "MustRunAs"
	some i, group in _pod_sc(pod).supplementalGroups
	not _in_ranges(group, p.fields.supplementalGroups.ranges)
	msg := sprintf("the pod sets supplemental group %v, which %s does not allow (allowed: %s); use supplementalGroups within the allowed ranges", [group, _profile(p), _ranges_text(p.fields.supplementalGroups.ranges)])
}

# --- read-only root filesystem ---

violations contains messages.violation("pod-security.read-only-root-filesystem", concat(".", [c.path, "securityContext.readOnlyRootFilesystem"]), msg) if {
	some x in _with_profile
	c := x.c
	x.p.fields.readOnlyRootFilesystem == true
	object.get(_sc(c), "readOnlyRootFilesystem", null) != true
	msg := sprintf("%s does not set securityContext.readOnlyRootFilesystem: true%s; set it and mount an emptyDir where the container must write", [c.label, _profile_note(x.p)])
}
