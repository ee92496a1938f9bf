# What a PSP fills in (simpleProvider.MutatePod of Kubernetes v1.24).
#
# A "view" is the part of a pod a PSP may change, everything else being
# read from the pod itself: {sc: the pod securityContext, ann: the pod's
# annotations, rc: runtimeClassName, ctrs: [each container's
# securityContext, in the order of pod.ctrs]}. as_is(pod) is the pod as
# sent; defaulted(pod, p) the pod after PSP p's defaulting.
package wasmgate.policies.podsecurity.psp

as_is(pod) := {
	"sc": _obj(pod.spec, "securityContext"),
	"ann": _obj(pod.meta, "annotations"),
	"rc": object.get(pod.spec, "runtimeClassName", null),
	"ctrs": [_obj(c.c, "securityContext") | some c in pod.ctrs],
}

defaulted(pod, p) := {"sc": sc, "ann": ann, "rc": _default_runtime_class(pod.spec, p), "ctrs": ctrs} if {
	sc0 := _obj(pod.spec, "securityContext")
	sc := _union_if_any(sc0, _pod_sc_defaults(sc0, p))
	ann0 := _obj(pod.meta, "annotations")
	ann1 := _union_if_any(ann0, _default_seccomp(ann0, sc0, p))
	ann := _union_if_any(ann1, _default_apparmor(ann1, pod.ctrs, p))
	ctrs := [_default_container(_obj(c.c, "securityContext"), sc, p) | some c in pod.ctrs]
}

# object.union(obj, extra), without copying obj when there is nothing to add: a pod may carry many
# annotations, and usually no PSP default adds one.
_union_if_any(obj, extra) := obj if count(extra) == 0

else := object.union(obj, extra)

# Whether the validating phase sees PSP p's defaulting change the pod seen as a (as_is(pod)),
# that is whether defaulted(pod, p), less a synced seccomp annotation (synced_seccomp), differs
# from a: found from what the defaulting sets instead of by comparing the views. Every default is
# set only where the pod has no value or another one, so it is a change exactly when there is one.
# (The containers' defaults see the defaulted pod securityContext, which is a only when nothing is
# set there.)
defaulting_changes(_, a, p) if _pod_sc_changes(a.sc, p)

defaulting_changes(pod, a, p) if _default_runtime_class(pod.spec, p) != a.rc

defaulting_changes(pod, a, p) if count(_default_apparmor(a.ann, pod.ctrs, p)) > 0

defaulting_changes(_, a, p) if _seccomp_annotation_changes(a, p)

defaulting_changes(_, a, p) if {
	some sc in a.ctrs
	_container_changes(sc, a.sc, p)
}

# (Each default's condition is a predicate of its own, _sets_*, asked here without building the
# object it sets.)
_pod_sc_changes(sc, p) if _sets_supplemental_groups(sc, p)

_pod_sc_changes(sc, p) if _sets_fs_group(sc, p)

_pod_sc_changes(sc, p) if _sets_selinux(sc, p)

_container_changes(sc, _, p) if is_object(_defaulted_capabilities(sc, p))

_container_changes(sc, pod_sc, p) if _sets_run_as_user(sc, pod_sc, p)

_container_changes(sc, pod_sc, p) if _sets_run_as_group(sc, pod_sc, p)

_container_changes(sc, pod_sc, p) if _sets_non_root(sc, pod_sc, p)

_container_changes(sc, _, p) if _sets_read_only(sc, p)

_container_changes(sc, _, p) if _sets_escalation(sc, p)

_seccomp_annotation_changes(a, p) if _seccomp_annotation_change(a, _default_seccomp(a.ann, a.sc, p))

_seccomp_annotation_change(a, added) if {
	count(added) > 0
	not _synced_seccomp(a, added)
}

# Dropped as synced, the annotation is a change where the pod has it (as "").
_seccomp_annotation_change(a, added) if {
	_synced_seccomp(a, added)
	_present(a.ann, seccomp_pod_key)
}

# Whether the seccomp pod annotation after p's defaulting only mirrors the pod's
# securityContext.seccompProfile, the pod (seen as a) having none of its own.
synced_seccomp(a, p) if _synced_seccomp(a, _default_seccomp(a.ann, a.sc, p))

# The same, given what the defaulting adds (_default_seccomp).
_synced_seccomp(a, added) if {
	_annotation(a.ann, seccomp_pod_key) == ""
	_seccomp_annotation_after(a, added) == _field_profile(a.sc)
}

_seccomp_annotation_after(a, added) := v if {
	v := added[seccomp_pod_key]
} else := v if {
	v := a.ann[seccomp_pod_key]
}

# --- pod level ---

_pod_sc_defaults(sc, p) := object.union_n([_default_supplemental_groups(sc, p), _default_fs_group(sc, p), _default_selinux(sc, p)])

_default_supplemental_groups(sc, p) := {"supplementalGroups": [p.supplemental_groups.ranges[0].min]} if {
	_sets_supplemental_groups(sc, p)
} else := {}

_sets_supplemental_groups(sc, p) if {
	p.supplemental_groups.rule == "MustRunAs"
	object.get(sc, "supplementalGroups", null) == null
}

_default_fs_group(sc, p) := {"fsGroup": p.fs_group.ranges[0].min} if {
	_sets_fs_group(sc, p)
} else := {}

_sets_fs_group(sc, p) if {
	p.fs_group.rule == "MustRunAs"
	object.get(sc, "fsGroup", null) == null
}

_default_selinux(sc, p) := {"seLinuxOptions": p.selinux.options} if {
	_sets_selinux(sc, p)
} else := {}

_sets_selinux(sc, p) if {
	p.selinux.rule == "MustRunAs"
	object.get(sc, "seLinuxOptions", null) == null
}

# The pod annotation seccomp.Strategy.Generate sets: the annotation itself, else the
# securityContext.seccompProfile field as an annotation, else the PSP's default.
_default_seccomp(ann, sc, p) := {seccomp_pod_key: profile} if {
	profile := _seccomp_generated(ann, sc, p)
	profile != ""
	profile != object.get(ann, seccomp_pod_key, null)
} else := {}

_seccomp_generated(ann, sc, p) := v if {
	v := _annotation(ann, seccomp_pod_key)
	v != ""
} else := seccomp_field_profile(sc.seccompProfile) if {
	is_object(sc.seccompProfile)
} else := p.seccomp.default

# podutil.SeccompAnnotationForField: "" for an unknown type or a Localhost without a profile.
seccomp_field_profile(f) := "unconfined" if {
	f.type == "Unconfined"
} else := "runtime/default" if {
	f.type == "RuntimeDefault"
} else := concat("", ["localhost/", f.localhostProfile]) if {
	f.type == "Localhost"
	is_string(f.localhostProfile)
} else := ""

# AppArmor: the PSP's default profile for every container without one.
_default_apparmor(ann, ctrs, p) := {key: p.apparmor.default |
	some c in ctrs
	key := concat("", [apparmor_container_prefix, _container_name(c.c)])
	_annotation(ann, key) == ""
} if p.apparmor.default != ""

else := {}

_container_name(c) := n if {
	n := c.name
	is_string(n)
} else := ""

_default_runtime_class(spec, p) := p.runtime_class.default if {
	p.runtime_class != null
	object.get(spec, "runtimeClassName", null) == null
} else := object.get(spec, "runtimeClassName", null)

# --- containers (mutateContainer) ---

# effective(sc, pod_sc, field): the container's value, else the pod's, else null.
effective(sc, pod_sc, field) := v if {
	v := sc[field]
	v != null
} else := object.get(pod_sc, field, null)

_default_container(sc0, pod_sc, p) := _union_if_any(_default_capabilities(sc0, p), _container_defaults(sc0, pod_sc, p))

_container_defaults(sc0, pod_sc, p) := object.union_n([
	_default_run_as_user(sc0, pod_sc, p),
	_default_run_as_group(sc0, pod_sc, p),
	_default_non_root(sc0, pod_sc, p),
	_default_read_only(sc0, p),
	_default_escalation(sc0, p),
])

_default_run_as_user(sc, pod_sc, p) := {"runAsUser": p.run_as_user.ranges[0].min} if {
	_sets_run_as_user(sc, pod_sc, p)
} else := {}

_sets_run_as_user(sc, pod_sc, p) if {
	p.run_as_user.rule == "MustRunAs"
	effective(sc, pod_sc, "runAsUser") == null
}

_default_run_as_group(sc, pod_sc, p) := {"runAsGroup": p.run_as_group.ranges[0].min} if {
	_sets_run_as_group(sc, pod_sc, p)
} else := {}

_sets_run_as_group(sc, pod_sc, p) if {
	p.run_as_group.rule == "MustRunAs"
	effective(sc, pod_sc, "runAsGroup") == null
}

_default_non_root(sc, pod_sc, p) := {"runAsNonRoot": true} if {
	_sets_non_root(sc, pod_sc, p)
} else := {}

# (Under MustRunAsNonRoot no runAsUser is generated, so the one checked is the original.)
_sets_non_root(sc, pod_sc, p) if {
	p.run_as_user.rule == "MustRunAsNonRoot"
	effective(sc, pod_sc, "runAsNonRoot") == null
	effective(sc, pod_sc, "runAsUser") == null
}

_default_read_only(sc, p) := {"readOnlyRootFilesystem": true} if {
	_sets_read_only(sc, p)
} else := {}

_sets_read_only(sc, p) if {
	p.rorf
	object.get(sc, "readOnlyRootFilesystem", null) == null
}

_default_escalation(sc, p) := {"allowPrivilegeEscalation": v} if {
	_sets_escalation(sc, p)
	v := _escalation_default(p)
} else := {}

_sets_escalation(sc, p) if {
	_ = _escalation_default(p)
	object.get(sc, "allowPrivilegeEscalation", null) == null
}

# defaultAllowPrivilegeEscalation, else false where escalation is not allowed (undefined otherwise).
_escalation_default(p) := p.dape if {
	p.dape != null
} else := false if {
	not p.ape
}

# The securityContext with its capabilities as capabilities.Strategy.Generate
# leaves them: unchanged when nothing is missing, else the union of the
# container's and the PSP's add (less what the container drops) and drop
# lists, each sorted and without duplicates.
_default_capabilities(sc, p) := object.union(object.remove(sc, ["capabilities"]), {"capabilities": caps}) if {
	caps := _defaulted_capabilities(sc, p)
} else := sc

# The capabilities after Generate, when they change (undefined when nothing is missing).
_defaulted_capabilities(sc, p) := object.union(_non_empty("add", ((p.default_add - drop0) | add0)), _non_empty("drop", p.required_drop | drop0)) if {
	caps0 := _obj(sc, "capabilities")
	add0 := _strings(caps0, "add")
	drop0 := _strings(caps0, "drop")
	_capabilities_missing(p, add0, drop0)
}

# A capability the PSP requires dropped that is not, or one it adds by default that the container
# neither adds nor drops (looked up: no sets built, no counts added, for the usual complete pod).
_capabilities_missing(p, _, drop0) if {
	some d in p.required_drop
	not drop0[d]
}

_capabilities_missing(p, add0, drop0) if {
	some a in p.default_add
	not drop0[a]
	not add0[a]
}

_non_empty(key, xs) := {key: sort(xs)} if count(xs) > 0

else := {}
