# PodSecurityPolicy objects: config.podSecurity.policies read the way the
# API server stored them (allowPrivilegeEscalation defaults to true) and the
# provider strategies of Kubernetes v1.24 built from them
# (pkg/security/podsecuritypolicy/factory.go).
package wasmgate.policies.podsecurity.psp

import data.wasmgate.lib.config

_settings := config.section("podSecurity")

_policy_objects := ps if {
	ps := _settings.policies
	is_array(ps)
} else := []

_name(obj) := n if {
	n := obj.metadata.name
	is_string(n)
	n != ""
}

# The first object of each name (a repeated name is a config error). This and the other
# data-only values below are read from data.prepared when the host has prepared it (see main's
# prepare), else computed.
_first_index := p if {
	p := data.prepared.policies.podsecurity.psp.first_index
} else := {name: min([i | some i, obj in _policy_objects; _name(obj) == name]) |
	some name in {_name(obj) | some obj in _policy_objects}
}

# psps[name]: the normalised PSP, with every optional field defaulted.
psps := p if {
	p := data.prepared.policies.podsecurity.psp.psps
} else := {name: _normalise(name, _policy_objects[i]) | some name, i in _first_index}

_obj(x, key) := v if {
	v := x[key]
	is_object(v)
} else := {}

_arr(x, key) := v if {
	v := x[key]
	is_array(v)
} else := []

_bool(x, key, default_value) := v if {
	v := x[key]
	is_boolean(v)
} else := default_value

_strings(x, key) := {s | some s in _arr(x, key); is_string(s)}

_normalise(name, obj) := {
	"name": name,
	"privileged": _bool(spec, "privileged", false),
	# SetDefaults_PodSecurityPolicySpec: an absent allowPrivilegeEscalation is true.
	"ape": _bool(spec, "allowPrivilegeEscalation", true),
	"dape": _optional_bool(spec, "defaultAllowPrivilegeEscalation"),
	"allowed_caps": _strings(spec, "allowedCapabilities"),
	"required_drop": _strings(spec, "requiredDropCapabilities"),
	"default_add": _strings(spec, "defaultAddCapabilities"),
	"volumes": _strings(spec, "volumes"),
	"host_paths": [{"prefix": object.get(h, "pathPrefix", ""), "read_only": _bool(h, "readOnly", false)} | some h in _arr(spec, "allowedHostPaths"); is_object(h)],
	"flex": {d.driver | some d in _arr(spec, "allowedFlexVolumes"); is_string(d.driver)},
	"csi": {d.name | some d in _arr(spec, "allowedCSIDrivers"); is_string(d.name)},
	"host_network": _bool(spec, "hostNetwork", false),
	"host_pid": _bool(spec, "hostPID", false),
	"host_ipc": _bool(spec, "hostIPC", false),
	"host_ports": _ranges(spec, "hostPorts"),
	"run_as_user": _strategy(spec, "runAsUser"),
	"run_as_group": _run_as_group(spec),
	"supplemental_groups": _strategy(spec, "supplementalGroups"),
	"fs_group": _strategy(spec, "fsGroup"),
	"selinux": {"rule": object.get(_obj(spec, "seLinux"), "rule", ""), "options": _selinux_options(spec)},
	"rorf": _bool(spec, "readOnlyRootFilesystem", false),
	"unsafe_sysctls": [s | some s in _arr(spec, "allowedUnsafeSysctls"); is_string(s)],
	"forbidden_sysctls": [s | some s in _arr(spec, "forbiddenSysctls"); is_string(s)],
	"proc_mounts": _proc_mounts(spec),
	"runtime_class": _runtime_class(spec),
	"seccomp": _seccomp(annotations),
	"apparmor": _apparmor(annotations),
} if {
	spec := _obj(obj, "spec")
	annotations := _obj(_obj(obj, "metadata"), "annotations")
}

_optional_bool(x, key) := v if {
	v := x[key]
	is_boolean(v)
} else := null

_ranges(x, key) := [{"min": r.min, "max": r.max} | some r in _arr(x, key); is_number(r.min); is_number(r.max)]

_strategy(spec, key) := {"rule": object.get(s, "rule", ""), "ranges": _ranges(s, "ranges")} if s := _obj(spec, key)

# An absent runAsGroup is RunAsAny (createRunAsGroupStrategy).
_run_as_group(spec) := _strategy(spec, "runAsGroup") if is_object(spec.runAsGroup)

else := {"rule": "RunAsAny", "ranges": []}

# The SELinux options MustRunAs sets, as the API server serialises them (empty fields omitted).
_selinux_options(spec) := {k: v |
	some k, v in opts
	k in {"user", "role", "type", "level"}
	is_string(v)
	v != ""
} if {
	opts := spec.seLinux.seLinuxOptions
	is_object(opts)
} else := null

_proc_mounts(spec) := {"Default"} if count(_arr(spec, "allowedProcMountTypes")) == 0

else := _strings(spec, "allowedProcMountTypes")

_runtime_class(spec) := {
	"allowed": _strings(rc, "allowedRuntimeClassNames"),
	"default": object.get(rc, "defaultRuntimeClassName", null),
} if {
	rc := spec.runtimeClass
	is_object(rc)
} else := null

seccomp_pod_key := "seccomp.security.alpha.kubernetes.io/pod"

seccomp_container_prefix := "container.seccomp.security.alpha.kubernetes.io/"

apparmor_container_prefix := "container.apparmor.security.beta.kubernetes.io/"

_seccomp_allowed_key := "seccomp.security.alpha.kubernetes.io/allowedProfileNames"

_seccomp_default_key := "seccomp.security.alpha.kubernetes.io/defaultProfileName"

_apparmor_allowed_key := "apparmor.security.beta.kubernetes.io/allowedProfileNames"

_apparmor_default_key := "apparmor.security.beta.kubernetes.io/defaultProfileName"

_present(obj, key) if {
	_ = obj[key]
} else := false

_annotation(annotations, key) := v if {
	v := annotations[key]
	is_string(v)
} else := ""

# seccomp.NewStrategy: runtime/default and docker/default allow each other; "*" allows any.
_seccomp(annotations) := {
	"default": _annotation(annotations, _seccomp_default_key),
	"text": _annotation(annotations, _seccomp_allowed_key),
	"any": "*" in profiles,
	"allowed": ({p | some p in profiles; p != "*"} | _runtime_default_aliases(profiles)),
} if {
	profiles := _profile_list(annotations, _seccomp_allowed_key)
}

_runtime_default_aliases(profiles) := {"runtime/default", "docker/default"} if {
	some p in profiles
	p in {"runtime/default", "docker/default"}
} else := set()

_apparmor(annotations) := {
	"default": _annotation(annotations, _apparmor_default_key),
	"listed": _present(annotations, _apparmor_allowed_key),
	"text": _annotation(annotations, _apparmor_allowed_key),
	"allowed": {p | some p in _profile_list(annotations, _apparmor_allowed_key)},
}

_profile_list(annotations, key) := split(_annotation(annotations, key), ",") if _present(annotations, key)

else := []

# Why a PSP cannot be used at all (NewSimpleProvider fails): such a PSP is skipped.
skipped := s if {
	s := data.prepared.policies.podsecurity.psp.skipped
} else := {name: concat("; ", sort(reasons)) |
	some name, p in psps
	reasons := _skip_reasons(p)
	count(reasons) > 0
}

_skip_reasons(p) := {msg |
	some field, s in {"runAsUser": p.run_as_user, "runAsGroup": p.run_as_group, "supplementalGroups": p.supplemental_groups, "fsGroup": p.fs_group}
	some msg in _strategy_skip(field, s)
} | _selinux_skip(p)

_strategy_skip(field, s) := {sprintf("spec.%s.rule %s needs at least one range", [field, s.rule])} if {
	s.rule in _ranged_rules[field]
	count(s.ranges) == 0
} else := {sprintf("spec.%s.rule %q is not a known rule", [field, s.rule])} if {
	not s.rule in _rules[field]
} else := set()

_selinux_skip(p) := {"spec.seLinux.rule MustRunAs needs seLinuxOptions"} if {
	p.selinux.rule == "MustRunAs"
	p.selinux.options == null
} else := {sprintf("spec.seLinux.rule %q is not a known rule", [p.selinux.rule])} if {
	not p.selinux.rule in {"MustRunAs", "RunAsAny"}
} else := set()

_rules := {
	"runAsUser": {"MustRunAs", "MustRunAsNonRoot", "RunAsAny"},
	"runAsGroup": {"MustRunAs", "MayRunAs", "RunAsAny"},
	"supplementalGroups": {"MustRunAs", "MayRunAs", "RunAsAny"},
	"fsGroup": {"MustRunAs", "MayRunAs", "RunAsAny"},
	"seLinux": {"MustRunAs", "RunAsAny"},
}

# Rules whose strategy cannot be built without ranges.
_ranged_rules := {
	"runAsUser": {"MustRunAs"},
	"runAsGroup": {"MustRunAs", "MayRunAs"},
	"supplementalGroups": {"MustRunAs", "MayRunAs"},
	"fsGroup": {"MustRunAs", "MayRunAs"},
}
