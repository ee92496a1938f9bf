# What a PSP refuses (simpleProvider.ValidatePod of Kubernetes v1.24 and its
# strategies), for a pod seen through a view (see defaulting.rego).
# errors(pod, view, p) is a set of {id, path, what, fix}: the policy id, the
# field path, what was found and how to fix it.
package wasmgate.policies.podsecurity.psp

import data.wasmgate.lib.pods

errors(pod, view, p) := errors_for_targets(pod, view, seccomp_targets(pod, view), p)

# errors with the view's seccomp targets (seccomp_targets) given: they do not depend on the PSP, so
# the rules that check one view against several PSPs find them once.
errors_for_targets(pod, view, targets, p) := (((_pod_errors(pod, view, p) | _volume_errors(pod, p)) | _container_errors(pod, view, p)) | _seccomp_errors(pod, targets, p)) | _apparmor_errors(pod, view, p)

_err(id, path, what, fix) := {"id": id, "path": path, "what": what, "fix": fix}

_sc_path(pod, field) := concat(".", [pod.path, "securityContext", field])

_ranges_text(ranges) := concat(", ", [_range_text(r) | some r in ranges]) if count(ranges) > 0

else := "none"

_range_text(r) := format_int(r.min, 10) if r.min == r.max

else := sprintf("%d-%d", [r.min, r.max])

_in_ranges(n, ranges) if {
	is_number(n)
	some r in ranges
	r.min <= n
	n <= r.max
}

# The group rules under which IDs must lie in the ranges. (Here and below a set is tested by lookup,
# set[x], not `x in set`: the WASM runtime's `in` walks the whole collection.)
_checks_ranges("MustRunAs")

_checks_ranges("MayRunAs")

# --- pod level ---

_pod_errors(pod, view, p) := ((((_group_errors(pod, view, p, "fsGroup") | _group_errors(pod, view, p, "supplementalGroups")) | _pod_selinux_errors(pod, view, p)) | _host_errors(pod, p)) | _sysctl_errors(pod, view, p)) | _runtime_class_errors(pod, view, p)

_group_strategy(p, "fsGroup") := p.fs_group

_group_strategy(p, "supplementalGroups") := p.supplemental_groups

_group_id := {"fsGroup": "pod-security.fs-group", "supplementalGroups": "pod-security.supplemental-groups"}

_groups(sc, "fsGroup") := [g] if {
	g := sc.fsGroup
	g != null
} else := []

_groups(sc, "supplementalGroups") := _arr(sc, "supplementalGroups")

_group_errors(pod, view, p, field) := _group_problems(pod, field, _group_strategy(p, field), _groups(view.sc, field))

# The strategy's errors for the pod's groups: none set under MustRunAs, else those outside the ranges.
_group_problems(pod, field, s, groups) := {_err(_group_id[field], _sc_path(pod, field), sprintf("the pod does not set securityContext.%s", [field]), sprintf("set it within %s", [_ranges_text(s.ranges)]))} if {
	s.rule == "MustRunAs"
	count(groups) == 0
} else := {_err(_group_id[field], _group_path(pod, field, i), sprintf("the pod sets %s %v, outside the allowed ranges %s", [field, g, _ranges_text(s.ranges)]), sprintf("set securityContext.%s within those ranges", [field])) |
	some i, g in groups
	not _in_ranges(g, s.ranges)
} if {
	_checks_ranges(s.rule)
} else := set()

_group_path(pod, "fsGroup", _) := _sc_path(pod, "fsGroup")

_group_path(pod, "supplementalGroups", i) := sprintf("%s[%d]", [_sc_path(pod, "supplementalGroups"), i])

# SELinux (selinux.mustRunAs.Validate), for the pod (who is "the pod") or a container (who is the
# container, named only in a message). Only MustRunAs checks anything: the callers look at the rule
# before finding the options and the path.
_pod_selinux_errors(pod, view, p) := _selinux_errors(_sc_path(pod, "seLinuxOptions"), "the pod", object.get(view.sc, "seLinuxOptions", null), p) if {
	p.selinux.rule == "MustRunAs"
} else := set()

_container_selinux_errors(c, sc, pod_sc, p) := _selinux_errors(_csc_path(c, "seLinuxOptions"), c, effective(sc, pod_sc, "seLinuxOptions"), p) if {
	p.selinux.rule == "MustRunAs"
} else := set()

_selinux_errors(path, who, opts, p) := {_err("pod-security.selinux", path, sprintf("%s does not set seLinuxOptions", [_target_who(who)]), sprintf("set seLinuxOptions to %s", [_selinux_text(p.selinux.options)])) |
	p.selinux.rule == "MustRunAs"
	not is_object(opts)
} | {_err("pod-security.selinux", concat(".", [path, field]), sprintf("%s sets seLinuxOptions.%s %q", [_target_who(who), field, actual]), sprintf("set it to %q", [wanted])) |
	p.selinux.rule == "MustRunAs"
	is_object(opts)
	some field in ["level", "role", "type", "user"]
	wanted := object.get(p.selinux.options, field, "")
	actual := _string_or_empty(opts, field)
	not _selinux_equal(field, wanted, actual)
}

_string_or_empty(obj, key) := v if {
	v := obj[key]
	is_string(v)
} else := ""

_selinux_text(opts) := concat(", ", [sprintf("%s: %s", [k, v]) | some k, v in opts])

_selinux_equal(_, wanted, actual) if wanted == actual

# Levels are equal when sensitivity and the set of categories are ("s0:c1,c2" is "s0:c2,c1").
_selinux_equal("level", wanted, actual) if {
	w := split(wanted, ":")
	a := split(actual, ":")
	count(w) >= 2
	count(a) >= 2
	w[0] == a[0]
	sort(split(concat(":", array.slice(w, 1, count(w))), ",")) == sort(split(concat(":", array.slice(a, 1, count(a))), ","))
}

# (Read from data.prepared when prepared, like _volume_sources below.)
_host_fields := t if {
	t := data.prepared.policies.podsecurity.psp.host_fields
} else := {"hostNetwork": "host_network", "hostPID": "host_pid", "hostIPC": "host_ipc"}

_host_errors(pod, p) := {_err("pod-security.host-namespaces", concat(".", [pod.path, field]), sprintf("the pod sets %s: true", [field]), "remove it or set it to false") |
	some field, key in _host_fields
	pod.spec[field] == true
	not p[key]
}

# sysctl.mustMatchPatterns: forbidden first, then the safe set, then allowedUnsafeSysctls.
_safe_sysctls := {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
}

_sysctl_errors(pod, view, p) := {_err("pod-security.sysctls", sprintf("%s[%d]", [_sc_path(pod, "sysctls"), i]), what, "remove it") |
	some i, s in _arr(view.sc, "sysctls")
	name := _string_or_empty(s, "name")
	what := _sysctl_problem(name, p)
}

_sysctl_problem(name, p) := sprintf("the pod sets the forbidden sysctl %q", [name]) if {
	_matches_sysctl(name, p.forbidden_sysctls)
} else := sprintf("the pod sets the unsafe sysctl %q, which is not in allowedUnsafeSysctls (%s)", [name, _list_text(p.unsafe_sysctls)]) if {
	not _safe_sysctls[name]
	not _matches_sysctl(name, p.unsafe_sysctls)
}

_matches_sysctl(name, patterns) if {
	some pattern in patterns
	endswith(pattern, "*")
	startswith(name, trim_suffix(pattern, "*"))
}

_matches_sysctl(name, patterns) if name in patterns

_list_text(xs) := concat(", ", xs) if count(xs) > 0

else := "none"

_runtime_class_errors(pod, view, p) := {_err("pod-security.runtime-class", concat(".", [pod.path, "runtimeClassName"]), sprintf("the pod sets runtimeClassName %q, which is not allowed (allowed: %s)", [view.rc, _list_text(sort(p.runtime_class.allowed))]), "use an allowed RuntimeClass") |
	p.runtime_class != null
	view.rc != null
	not p.runtime_class.allowed["*"]
	not p.runtime_class.allowed[view.rc]
}

# --- volumes ---

# The order in which util.GetVolumeFSType looks for a volume's source (this table and the next read
# from data.prepared.policies.podsecurity.psp when prepared, like the data-only values: the WASM
# runtime builds a rule's value anew in every evaluation).
_volume_sources := t if {
	t := data.prepared.policies.podsecurity.psp.volume_sources
} else := [
	"hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs",
	"iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
	"downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
	"photonPersistentDisk", "storageos", "projected", "portworxVolume", "scaleIO", "csi", "ephemeral",
]

_volume_source_index := x if {
	x := data.prepared.policies.podsecurity.psp.volume_source_index
} else := {t: i | some i, t in _volume_sources}

# The first source in that order that the volume sets, else "" (none it knows). Found from the
# volume's own keys (usually two) rather than by looking up every source, once per volume and PSP;
# the order matters only when it sets several.
volume_type(v) := t if {
	is_object(v)
	[t] = [k | some k, x in v; is_object(x); _volume_source_index[k]]
} else := _volume_sources[min(found)] if {
	is_object(v)
	found := {_volume_source_index[k] | some k, x in v; is_object(x)}
	count(found) > 0
} else := ""

_volume_errors(pod, p) := {e |
	some i, v in _arr(pod.spec, "volumes")
	some e in _volume_problems(pod, i, v, volume_type(v), p)
}

# The path of volume i, made only for an error.
_volume_path(pod, i) := concat("", [pod.path, ".volumes[", format_int(i, 10), "]"])

_volume_label(v) := sprintf("volume %q", [v.name]) if is_string(v.name)

else := "a volume"

_volume_problems(pod, i, v, t, p) := {_err("pod-security.volumes", _volume_path(pod, i), sprintf("%s has no volume source Kubernetes v1.24 knows", [_volume_label(v)]), "use a known volume type")} if {
	t == ""
} else := {_err("pod-security.volumes", _volume_path(pod, i), sprintf("%s is of type %s, which is not allowed (allowed: %s)", [_volume_label(v), t, _list_text(sort(p.volumes))]), "use an allowed volume type")} if {
	t != ""
	not _volume_allowed(t, v, p)
} else := _host_path_problems(pod, _volume_path(pod, i), v, p) if {
	t == "hostPath"
} else := {_err("pod-security.volumes", concat(".", [_volume_path(pod, i), "flexVolume.driver"]), sprintf("%s uses the flexVolume driver %q, which is not allowed (allowed: %s)", [_volume_label(v), driver, _list_text(sort(p.flex))]), "use an allowed driver")} if {
	t == "flexVolume"
	count(p.flex) > 0
	driver := _string_or_empty(v.flexVolume, "driver")
	not p.flex[driver]
} else := {_err("pod-security.volumes", concat(".", [_volume_path(pod, i), "csi.driver"]), sprintf("%s uses the inline CSI driver %q, which is not allowed (allowed: %s)", [_volume_label(v), driver, _list_text(sort(p.csi))]), "use an allowed driver")} if {
	t == "csi"
	count(p.csi) > 0
	driver := _string_or_empty(v.csi, "driver")
	not p.csi[driver]
} else := set()

_volume_allowed(_, _, p) if p.volumes["*"]

_volume_allowed(t, _, p) if p.volumes[t]

# A projected volume of only the service account token, kube-root-ca.crt and the namespace
# counts as a secret volume.
_volume_allowed("projected", v, p) if {
	p.volumes.secret
	every s in _arr(v.projected, "sources") {
		_token_source(s)
	}
}

_token_source(s) if {
	_any_in({k | some k, v in s; is_object(v)}, {"serviceAccountToken", "configMap", "downwardAPI"})
	_token_ok(s)
	_root_ca_ok(s)
	_namespace_ok(s)
}

_token_ok(s) if not is_object(object.get(s, "serviceAccountToken", null))

_token_ok(s) if {
	_string_or_empty(s.serviceAccountToken, "path") == "token"
	_string_or_empty(s.serviceAccountToken, "audience") == ""
}

_root_ca_ok(s) if not is_object(object.get(s, "configMap", null))

_root_ca_ok(s) if _string_or_empty(s.configMap, "name") == "kube-root-ca.crt"

_namespace_ok(s) if not is_object(object.get(s, "downwardAPI", null))

_namespace_ok(s) if {
	every item in _arr(s.downwardAPI, "items") {
		_string_or_empty(item, "path") == "namespace"
		_string_or_empty(item.fieldRef, "apiVersion") == "v1"
		_string_or_empty(item.fieldRef, "fieldPath") == "metadata.namespace"
	}
}

_host_path_problems(pod, path, v, p) := {_err("pod-security.volumes", concat(".", [path, "hostPath.path"]), sprintf("%s mounts the host path %q, which is not allowed (allowed: %s)", [_volume_label(v), host_path, _list_text([h.prefix | some h in p.host_paths])]), "use a host path under an allowed prefix")} if {
	host_path := _string_or_empty(v.hostPath, "path")
	count(p.host_paths) > 0
	not _host_path_matches(host_path, p)
} else := {_err("pod-security.volumes", sprintf("%s.volumeMounts[%d].readOnly", [_ctr_path(c), j]), sprintf("%s mounts the host path volume %q writable, but it must be read-only", [_label(c), v.name]), "set readOnly: true on the volume mount") |
	host_path := _string_or_empty(v.hostPath, "path")
	count(p.host_paths) > 0
	not _host_path_writable(host_path, p)
	some c in pod.ctrs
	some j, m in _arr(c.c, "volumeMounts")
	m.name == v.name
	object.get(m, "readOnly", false) != true
}

_host_path_matches(host_path, p) if {
	some h in p.host_paths
	_has_path_prefix(host_path, h.prefix)
}

_host_path_writable(host_path, p) if {
	some h in p.host_paths
	not h.read_only
	_has_path_prefix(host_path, h.prefix)
}

# util.hasPathPrefix: whole path segments ("/foo" covers "/foo/bar", not "/foobar").
_has_path_prefix(s, prefix) if {
	path := trim_suffix(s, "/")
	pre := trim_suffix(prefix, "/")
	startswith(path, pre)
	_segment_boundary(path, pre)
}

_segment_boundary(path, pre) if count(path) == count(pre)

_segment_boundary(path, pre) if substring(path, count(pre), 1) == "/"

# --- containers ---

_container_errors(pod, view, p) := {e |
	some k, c in pod.ctrs
	sc := view.ctrs[k]
	some e in _one_container_errors(view, c, sc, p)
}

# The path of a container of the pod (made only for a message or a patch).
_ctr_path(c) := concat("", [pod.path, ".", c.field, "[", format_int(c.i, 10), "]"])

_csc_path(c, field) := concat(".", [_ctr_path(c), "securityContext", field])

# How messages name a container (made only for a message: sprintf is a host call in WASM).
_label(c) := pods.container_label(c.field, c.i, c.c)

_one_container_errors(view, c, sc, p) := (((((((_run_as_user_errors(c, sc, view.sc, p) | _run_as_group_errors(c, sc, view.sc, p)) | _container_selinux_errors(c, sc, view.sc, p)) | _privileged_errors(c, sc, p)) | _proc_mount_errors(c, sc, p)) | _capability_errors(c, sc, p)) | _host_port_errors(c, p)) | _read_only_errors(c, sc, p)) | _escalation_errors(c, sc, p)

_run_as_user_errors(c, sc, pod_sc, p) := {_err("pod-security.run-as-user", _csc_path(c, "runAsUser"), sprintf("%s does not set runAsUser", [_label(c)]), sprintf("set runAsUser within %s", [_ranges_text(p.run_as_user.ranges)]))} if {
	p.run_as_user.rule == "MustRunAs"
	effective(sc, pod_sc, "runAsUser") == null
} else := {_err("pod-security.run-as-user", _csc_path(c, "runAsUser"), sprintf("%s runs as user %v, outside the allowed ranges %s", [_label(c), uid, _ranges_text(p.run_as_user.ranges)]), "set runAsUser within those ranges")} if {
	p.run_as_user.rule == "MustRunAs"
	uid := effective(sc, pod_sc, "runAsUser")
	not _in_ranges(uid, p.run_as_user.ranges)
} else := {_err("pod-security.run-as-non-root", _csc_path(c, "runAsNonRoot"), sprintf("%s may run as root: neither runAsNonRoot nor runAsUser is set", [_label(c)]), "set securityContext.runAsNonRoot: true (and runAsUser to a non-zero UID)")} if {
	p.run_as_user.rule == "MustRunAsNonRoot"
	effective(sc, pod_sc, "runAsNonRoot") == null
	effective(sc, pod_sc, "runAsUser") == null
} else := {_err("pod-security.run-as-non-root", _csc_path(c, "runAsNonRoot"), sprintf("%s sets runAsNonRoot: false", [_label(c)]), "set securityContext.runAsNonRoot: true")} if {
	p.run_as_user.rule == "MustRunAsNonRoot"
	effective(sc, pod_sc, "runAsNonRoot") == false
} else := {_err("pod-security.run-as-non-root", _csc_path(c, "runAsUser"), sprintf("%s runs as root (runAsUser: 0)", [_label(c)]), "set runAsUser to a non-zero UID and runAsNonRoot: true")} if {
	p.run_as_user.rule == "MustRunAsNonRoot"
	effective(sc, pod_sc, "runAsUser") == 0
} else := set()

_run_as_group_errors(c, sc, pod_sc, p) := {_err("pod-security.run-as-group", _csc_path(c, "runAsGroup"), sprintf("%s does not set runAsGroup", [_label(c)]), sprintf("set runAsGroup within %s", [_ranges_text(p.run_as_group.ranges)]))} if {
	p.run_as_group.rule == "MustRunAs"
	effective(sc, pod_sc, "runAsGroup") == null
} else := {_err("pod-security.run-as-group", _csc_path(c, "runAsGroup"), sprintf("%s runs as group %v, outside the allowed ranges %s", [_label(c), gid, _ranges_text(p.run_as_group.ranges)]), "set runAsGroup within those ranges")} if {
	_checks_ranges(p.run_as_group.rule)
	gid := effective(sc, pod_sc, "runAsGroup")
	gid != null
	not _in_ranges(gid, p.run_as_group.ranges)
} else := set()

_privileged_errors(c, sc, p) := {_err("pod-security.privileged", _csc_path(c, "privileged"), sprintf("%s is privileged", [_label(c)]), "set securityContext.privileged: false")} if {
	sc.privileged == true
	not p.privileged
} else := set()

_proc_mount_errors(c, sc, p) := {_err("pod-security.proc-mount", _csc_path(c, "procMount"), sprintf("%s sets procMount %v, which is not allowed (allowed: %s)", [_label(c), pm, _list_text(sort(p.proc_mounts))]), "remove procMount or use an allowed type")} if {
	pm := _proc_mount(sc)
	not p.proc_mounts[pm]
} else := set()

_proc_mount(sc) := v if {
	v := sc.procMount
	v != null
} else := "Default"

# capabilities.Strategy.Validate: names compare exactly (case-sensitive, with any CAP_ prefix).
_capability_errors(c, sc, p) := {_err("pod-security.capabilities", _csc_path(c, "capabilities"), sprintf("%s does not set securityContext.capabilities", [_label(c)]), _capability_fix(p))} if {
	not is_object(object.get(sc, "capabilities", null))
	count(p.default_add) + count(p.required_drop) > 0
} else := {_err("pod-security.capabilities", sprintf("%s.add[%d]", [_csc_path(c, "capabilities"), i]), sprintf("%s adds the capability %v, which is not allowed (allowed: %s)", [_label(c), added, _list_text(sort(p.allowed_caps | p.default_add))]), "remove it from securityContext.capabilities.add") |
	not p.allowed_caps["*"]
	some i, added in _arr(sc.capabilities, "add")
	not p.allowed_caps[added]
	not p.default_add[added]
} | {_err("pod-security.capabilities", concat(".", [_csc_path(c, "capabilities"), "drop"]), sprintf("%s does not drop the capability %q", [_label(c), required]), sprintf("add %q to securityContext.capabilities.drop", [required])) |
	not p.allowed_caps["*"]
	some required in p.required_drop
	not _strings(sc.capabilities, "drop")[required]
} if {
	is_object(sc.capabilities)
} else := set()

_capability_fix(p) := sprintf("set securityContext.capabilities.drop to include %s", [_list_text(sort(p.required_drop))]) if count(p.required_drop) > 0

else := sprintf("set securityContext.capabilities.add to include %s", [_list_text(sort(p.default_add))])

_host_port_errors(c, p) := {_err("pod-security.host-ports", sprintf("%s.ports[%d].hostPort", [_ctr_path(c), i]), sprintf("%s uses hostPort %v, which is not allowed (allowed: %s)", [_label(c), port.hostPort, _ranges_text(p.host_ports)]), "remove the hostPort and use a Service") |
	some i, port in _arr(c.c, "ports")
	is_number(port.hostPort)
	port.hostPort > 0
	not _in_ranges(port.hostPort, p.host_ports)
}

_read_only_errors(c, sc, p) := {_err("pod-security.read-only-root-filesystem", _csc_path(c, "readOnlyRootFilesystem"), sprintf("%s does not set securityContext.readOnlyRootFilesystem: true", [_label(c)]), "set it and mount an emptyDir where the container must write")} if {
	p.rorf
	object.get(sc, "readOnlyRootFilesystem", null) != true
} else := set()

_escalation_errors(c, sc, p) := {_err("pod-security.privilege-escalation", _csc_path(c, "allowPrivilegeEscalation"), sprintf("%s %s", [_label(c), _escalation_found(object.get(sc, "allowPrivilegeEscalation", null))]), "set securityContext.allowPrivilegeEscalation: false")} if {
	not p.ape
	object.get(sc, "allowPrivilegeEscalation", null) != false
} else := set()

_escalation_found(null) := "does not set securityContext.allowPrivilegeEscalation"

_escalation_found(v) := sprintf("sets securityContext.allowPrivilegeEscalation to %v", [v]) if v != null

# --- seccomp (seccomp.strategy) and AppArmor (apparmor.strategy) annotations ---

# The profile of the pod and of each container, as {path, who, profile}.
seccomp_targets(pod, view) := array.concat([_seccomp_pod_target(pod, view)], [_seccomp_container_target(pod, view, c) | some c in pod.ctrs])

_seccomp_errors(pod, targets, p) := {e |
	some t in targets
	some e in _seccomp_problem(pod, t, p)
}

_annotation_path(pod, key) := concat("", [pod.meta_path, ".annotations[", key, "]"])

# {at, who, profile}: the profile the pod runs with, from its annotation, else its field. Where
# it was found (at: "annotation" with its key, "pod field" or "container field") becomes a path
# only for an error (_seccomp_path).
_seccomp_pod_target(_, view) := {"at": "annotation", "key": seccomp_pod_key, "who": "the pod", "profile": profile} if {
	profile := _annotation(view.ann, seccomp_pod_key)
	profile != ""
} else := {"at": "pod field", "who": "the pod", "profile": _field_profile(view.sc)}

_seccomp_path(pod, t) := _annotation_path(pod, t.key) if {
	t.at == "annotation"
} else := _sc_path(pod, "seccompProfile") if {
	t.at == "pod field"
} else := _csc_path(t.who, "seccompProfile")

_field_profile(sc) := seccomp_field_profile(sc.seccompProfile) if is_object(sc.seccompProfile)

else := ""

# seccomp.profileForContainer: the container's field, its annotation, the pod's field, the pod's annotation.
_seccomp_container_target(_, view, c) := {"at": "container field", "who": c, "profile": seccomp_field_profile(c.c.securityContext.seccompProfile)} if {
	is_object(c.c.securityContext.seccompProfile)
} else := {"at": "annotation", "key": key, "who": c, "profile": _annotation(view.ann, key)} if {
	key := concat("", [seccomp_container_prefix, _container_name(c.c)])
	_present(view.ann, key)
} else := {"at": "pod field", "who": c, "profile": seccomp_field_profile(view.sc.seccompProfile)} if {
	is_object(view.sc.seccompProfile)
} else := {"at": "annotation", "key": seccomp_pod_key, "who": c, "profile": _annotation(view.ann, seccomp_pod_key)}

_seccomp_problem(pod, t, p) := {_err("pod-security.seccomp", _seccomp_path(pod, t), sprintf("%s sets the seccomp profile %q, but seccomp profiles are not allowed", [_target_who(t.who), t.profile]), "remove it, or use a PodSecurityPolicy with the annotation seccomp.security.alpha.kubernetes.io/allowedProfileNames")} if {
	not p.seccomp.any
	count(p.seccomp.allowed) == 0
	t.profile != ""
} else := {_err("pod-security.seccomp", _seccomp_path(pod, t), sprintf("%s uses the seccomp profile %q, which is not allowed (allowed: %s)", [_target_who(t.who), t.profile, p.seccomp.text]), "use an allowed seccomp profile")} if {
	not _seccomp_allowed(t.profile, p)
} else := set()

# How a message names "the pod" or a container.
_target_who(who) := who if is_string(who)

else := _label(who)

_seccomp_allowed("", p) if count(p.seccomp.allowed) == 0

_seccomp_allowed(_, p) if p.seccomp.any

_seccomp_allowed(profile, p) if p.seccomp.allowed[profile]

_apparmor_errors(pod, view, p) := {_apparmor_problem(pod, c, _annotation(view.ann, key), key, p) |
	p.apparmor.listed
	some c in pod.ctrs
	key := concat("", [apparmor_container_prefix, _container_name(c.c)])
	not _apparmor_ok(_annotation(view.ann, key), p)
}

_apparmor_ok("", p) if count(p.apparmor.allowed) == 0

_apparmor_ok(profile, p) if {
	profile != ""
	p.apparmor.allowed[profile]
}

_apparmor_problem(pod, c, "", key, p) := _err("pod-security.apparmor", _annotation_path(pod, key), sprintf("%s has no AppArmor profile", [_label(c)]), sprintf("set the annotation %s to one of %s", [key, p.apparmor.text]))

_apparmor_problem(pod, c, profile, key, p) := _err("pod-security.apparmor", _annotation_path(pod, key), sprintf("%s uses the AppArmor profile %q, which is not allowed (allowed: %s)", [_label(c), profile, p.apparmor.text]), "use an allowed AppArmor profile") if profile != ""
