# Configuration checks for config.podSecurity: the PodSecurityPolicy objects
# as Kubernetes v1.24's ValidatePodSecurityPolicy checks them
# (pkg/apis/policy/validation), and the shape of the RBAC objects.
package wasmgate.policies.podsecurity.psp

import data.wasmgate.lib.chars
import data.wasmgate.lib.config

_path := "config.podSecurity"

config_errors contains msg if {
	some msg in config.unknown_key_errors(_path, _settings, {"policies", "rbac"})
}

config_errors contains msg if {
	some key, required in {"policies": true, "rbac": false}
	some msg in config.type_errors(_path, _settings, key, "array", required)
}

# --- PodSecurityPolicy objects ---

_psp_label(i, obj) := sprintf("%s.policies[%d] (PodSecurityPolicy %q)", [_path, i, _name(obj)]) if _name(obj)

else := sprintf("%s.policies[%d]", [_path, i])

config_errors contains sprintf("%s must be a PodSecurityPolicy object, got %s", [_psp_label(i, obj), type_name(obj)]) if {
	some i, obj in _policy_objects
	not is_object(obj)
}

config_errors contains sprintf("%s: %s", [_psp_label(i, obj), msg]) if {
	some i, obj in _policy_objects
	is_object(obj)
	some msg in _psp_errors(obj)
}

config_errors contains sprintf("%s: the name is used by %s.policies[%d] already; PodSecurityPolicy names are unique", [_psp_label(i, obj), _path, _first_index[name]]) if {
	some i, obj in _policy_objects
	name := _name(obj)
	_first_index[name] != i
}

_psp_errors(obj) := ((({sprintf("apiVersion must be policy/v1beta1, got %v", [object.get(obj, "apiVersion", null)]) | object.get(obj, "apiVersion", null) != "policy/v1beta1"} | {sprintf("kind must be PodSecurityPolicy, got %v", [object.get(obj, "kind", null)]) | object.get(obj, "kind", null) != "PodSecurityPolicy"}) | _psp_name_errors(obj)) | _psp_annotation_errors(_obj(_obj(obj, "metadata"), "annotations"))) | _psp_spec_errors(object.get(obj, "spec", null))

_psp_name_errors(obj) := set() if {
	_dns_subdomain(_name(obj))
} else := {sprintf("metadata.name %v is not a valid name (a DNS subdomain: lower-case letters, digits, '-' and '.')", [object.get(_obj(obj, "metadata"), "name", null)])}

# _dns_subdomain(s): DNS labels joined by dots, at most 253 characters (no regular
# expression: see lib/chars).
_dns_subdomain(s) if {
	is_string(s)
	count(s) <= 253
	every label in split(s, ".") {
		config.namespace_name(label)
	}
}

_psp_spec_errors(spec) := {"spec is required and must be an object"} if not is_object(spec)

else := (((((((_spec_unknown_key_errors(spec) | _spec_type_errors(spec)) | _spec_rule_errors(spec)) | _spec_range_errors(spec)) | _spec_list_errors(spec)) | _spec_capability_errors(spec)) | _spec_path_errors(spec)) | _spec_sysctl_errors(spec)) | _spec_runtime_class_errors(spec)

# config.unknown_key_errors for spec, looking each key up in _spec_types rather than in a set of its
# keys built for every PSP on every request (the WASM runtime hashes each element it adds).
_spec_unknown_key_errors(spec) := {sprintf("spec has unknown key %q (known: %s)", [k, concat(", ", sort(config.keys(_spec_types)))]) |
	some k, _ in spec
	not _spec_types[k]
}

_spec_types := {
	"privileged": "boolean",
	"defaultAddCapabilities": "array",
	"requiredDropCapabilities": "array",
	"allowedCapabilities": "array",
	"volumes": "array",
	"hostNetwork": "boolean",
	"hostPorts": "array",
	"hostPID": "boolean",
	"hostIPC": "boolean",
	"seLinux": "object",
	"runAsUser": "object",
	"runAsGroup": "object",
	"supplementalGroups": "object",
	"fsGroup": "object",
	"readOnlyRootFilesystem": "boolean",
	"defaultAllowPrivilegeEscalation": "boolean",
	"allowPrivilegeEscalation": "boolean",
	"allowedHostPaths": "array",
	"allowedFlexVolumes": "array",
	"allowedCSIDrivers": "array",
	"allowedUnsafeSysctls": "array",
	"forbiddenSysctls": "array",
	"allowedProcMountTypes": "array",
	"runtimeClass": "object",
}

# (null stands for an absent field, as the API server reads it.)
_spec_type_errors(spec) := {sprintf("spec.%s must be %s, got %s", [k, _article(t), type_name(v)]) |
	some k, v in spec
	t := _spec_types[k]
	v != null
	type_name(v) != t
}

_article("array") := "an array"

_article("object") := "an object"

_article("boolean") := "a boolean"

_spec_rule_errors(spec) := (({sprintf("spec.%s.rule must be one of %s, got %v", [field, concat(", ", sort(_rules[field])), object.get(_obj(spec, field), "rule", null)]) |
	some field in ["runAsUser", "seLinux", "supplementalGroups", "fsGroup"]
	not object.get(_obj(spec, field), "rule", null) in _rules[field]
} | {sprintf("spec.runAsGroup.rule must be one of %s, got %v", [concat(", ", sort(_rules.runAsGroup)), object.get(spec.runAsGroup, "rule", null)]) |
	is_object(spec.runAsGroup)
	not object.get(spec.runAsGroup, "rule", null) in _rules.runAsGroup
}) | {"spec.runAsGroup.ranges must be empty when the rule is RunAsAny" |
	spec.runAsGroup.rule == "RunAsAny"
	count(_arr(spec.runAsGroup, "ranges")) > 0
}) | {sprintf("spec.runAsGroup.ranges must have at least one range when the rule is %s", [spec.runAsGroup.rule]) |
	spec.runAsGroup.rule in {"MustRunAs", "MayRunAs"}
	count(_arr(spec.runAsGroup, "ranges")) == 0
}

_spec_range_errors(spec) := {msg |
	some field in ["runAsUser", "runAsGroup", "supplementalGroups", "fsGroup"]
	some i, r in _arr(_obj(spec, field), "ranges")
	some msg in _id_range_errors(field, i, r)
} | {sprintf("spec.hostPorts[%d] must be {min, max} with integer ports", [i]) |
	some i, r in _arr(spec, "hostPorts")
	not _integer_range(r)
}

_integer_range(r) if {
	is_object(r)
	_integer(r.min)
	_integer(r.max)
}

_integer(n) if {
	is_number(n)
	n == floor(n)
}

_id_range_errors(field, i, r) := {sprintf("spec.%s.ranges[%d] must be {min, max} with integer IDs", [field, i])} if {
	not _integer_range(r)
} else := {sprintf("spec.%s.ranges[%d].%s cannot be negative, got %v", [field, i, k, r[k]]) | some k in ["min", "max"]; r[k] < 0} | {sprintf("spec.%s.ranges[%d].min %v cannot be greater than max %v", [field, i, r.min, r.max]) | r.min > r.max}

# util.GetAllFSTypesAsSet plus "*".
volume_types := {
	"*", "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "configMap", "csi",
	"downwardAPI", "emptyDir", "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk",
	"gitRepo", "glusterfs", "hostPath", "iscsi", "nfs", "persistentVolumeClaim",
	"photonPersistentDisk", "portworxVolume", "projected", "quobyte", "rbd", "scaleIO", "secret",
	"storageos", "vsphereVolume",
}

_string_list_fields := [
	"defaultAddCapabilities", "requiredDropCapabilities", "allowedCapabilities", "volumes",
	"allowedUnsafeSysctls", "forbiddenSysctls", "allowedProcMountTypes",
]

_spec_list_errors(spec) := (({sprintf("spec.%s[%d] must be a string, got %s", [field, i, type_name(v)]) |
	some field in _string_list_fields
	some i, v in _arr(spec, field)
	not is_string(v)
} | {sprintf("spec.volumes[%d] %q is not a volume type (known: %s)", [i, v, concat(", ", sort(volume_types))]) |
	some i, v in _arr(spec, "volumes")
	is_string(v)
	not v in volume_types
}) | {sprintf("spec.allowedProcMountTypes[%d] must be Default or Unmasked, got %q", [i, v]) |
	some i, v in _arr(spec, "allowedProcMountTypes")
	is_string(v)
	not v in {"Default", "Unmasked"}
}) | {"spec.defaultAllowPrivilegeEscalation cannot be true when allowPrivilegeEscalation is false" |
	spec.defaultAllowPrivilegeEscalation == true
	spec.allowPrivilegeEscalation == false
}

_spec_capability_errors(spec) := {"spec.requiredDropCapabilities must be empty when allowedCapabilities has the wildcard \"*\"" |
	count(_arr(spec, "requiredDropCapabilities")) > 0
	"*" in _arr(spec, "allowedCapabilities")
} | {sprintf("spec.%s has %v, which spec.requiredDropCapabilities also lists; remove it from one of them", [field, cap]) |
	some field in ["defaultAddCapabilities", "allowedCapabilities"]
	some cap in _arr(spec, field)
	cap in _arr(spec, "requiredDropCapabilities")
}

_spec_path_errors(spec) := (({sprintf("spec.allowedHostPaths[%d].pathPrefix is required", [i]) |
	some i, h in _arr(spec, "allowedHostPaths")
	not _non_empty_string(_field(h, "pathPrefix"))
} | {sprintf("spec.allowedHostPaths[%d].pathPrefix %q must not contain '..'", [i, h.pathPrefix]) |
	some i, h in _arr(spec, "allowedHostPaths")
	is_string(h.pathPrefix)
	".." in split(h.pathPrefix, "/")
}) | {sprintf("spec.allowedFlexVolumes[%d].driver is required", [i]) |
	some i, d in _arr(spec, "allowedFlexVolumes")
	not _non_empty_string(_field(d, "driver"))
}) | {sprintf("spec.allowedCSIDrivers[%d].name %v is not a valid CSI driver name (at most 63 characters, a DNS subdomain)", [i, _field(d, "name")]) |
	some i, d in _arr(spec, "allowedCSIDrivers")
	not _csi_driver_name(_field(d, "name"))
}

_non_empty_string(s) if {
	is_string(s)
	s != ""
}

_csi_driver_name(s) if {
	is_string(s)
	count(s) <= 63
	_dns_subdomain(lower(s))
}

_spec_sysctl_errors(spec) := {msg |
	some field in ["allowedUnsafeSysctls", "forbiddenSysctls"]
	some msg in _sysctl_list_errors(field, [s | some s in _arr(spec, field); is_string(s)])
} | {sprintf("spec.allowedUnsafeSysctls %q overlaps with spec.forbiddenSysctls %q", [a, f]) |
	some a in _arr(spec, "allowedUnsafeSysctls")
	some f in _arr(spec, "forbiddenSysctls")
	is_string(a)
	is_string(f)
	_sysctls_overlap(a, f)
}

_sysctl_list_errors(field, xs) := {sprintf("spec.%s[%d] %q is not a valid sysctl pattern (at most 253 characters, dot-separated names, optionally ending in *)", [field, i, s]) |
	some i, s in xs
	not _sysctl_pattern_valid(s)
} | {sprintf("spec.%s: when \"*\" is present, no other sysctl may be listed", [field]) |
	count(xs) > 1
	some s in xs
	startswith(s, "*")
	_sysctl_pattern_valid(s)
}

# _sysctl_pattern_valid(s): the apiserver's sysctl pattern
# ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?\.)*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]$ in at most 253
# characters, without a regular expression (see lib/chars): dot-separated segments
# of [-_a-z0-9] that start and end with [a-z0-9], except that the last may end in *.
_sysctl_pattern_valid(s) if {
	count(s) <= 253
	segments := split(s, ".")
	last := count(segments) - 1
	every segment in array.slice(segments, 0, last) {
		_sysctl_segment(segment)
	}
	_sysctl_last_segment(segments[last])
}

_sysctl_segment(s) if {
	s != ""
	chars.only(s, concat("", [chars.lower_alnum, "-_"]))
	trim(s, "-_") == s
}

# The last segment's final character may be *; what comes before it is a segment's
# start and middle: [a-z0-9][-_a-z0-9]* or nothing.
_sysctl_last_segment(s) if {
	s != ""
	n := count(s)
	chars.only(substring(s, n - 1, 1), concat("", [chars.lower_alnum, "*"]))
	head := substring(s, 0, n - 1)
	chars.only(head, concat("", [chars.lower_alnum, "-_"]))
	trim_left(head, "-_") == head
}

_sysctls_overlap(a, f) if {
	endswith(a, "*")
	endswith(f, "*")
	_prefix_either_way(trim_suffix(a, "*"), trim_suffix(f, "*"))
}

_sysctls_overlap(a, f) if {
	endswith(a, "*")
	not endswith(f, "*")
	startswith(f, trim_suffix(a, "*"))
}

_sysctls_overlap(a, f) if {
	not endswith(a, "*")
	endswith(f, "*")
	startswith(a, trim_suffix(f, "*"))
}

_sysctls_overlap(a, f) if {
	not endswith(a, "*")
	a == f
}

_prefix_either_way(a, b) if startswith(a, b)

_prefix_either_way(a, b) if startswith(b, a)

_spec_runtime_class_errors(spec) := set() if {
	not is_object(object.get(spec, "runtimeClass", null))
} else := (({sprintf("spec.runtimeClass.allowedRuntimeClassNames[%d] %v is not a valid RuntimeClass name", [i, n]) |
	some i, n in names
	n != "*"
	not _dns_subdomain(n)
} | {sprintf("spec.runtimeClass.allowedRuntimeClassNames[%d] %q is listed twice", [i, n]) |
	some i, n in names
	some j, m in names
	j < i
	m == n
}) | {"spec.runtimeClass.allowedRuntimeClassNames: when \"*\" is present, no other name may be listed" |
	"*" in names
	count(names) > 1
}) | _default_runtime_class_errors(spec.runtimeClass, names) if {
	names := _arr(spec.runtimeClass, "allowedRuntimeClassNames")
}

_default_runtime_class_errors(rc, names) := {sprintf("spec.runtimeClass.defaultRuntimeClassName %v is not a valid RuntimeClass name", [d])} if {
	d := rc.defaultRuntimeClassName
	d != null
	not _dns_subdomain(d)
} else := {sprintf("spec.runtimeClass.defaultRuntimeClassName %q must be in allowedRuntimeClassNames", [d])} if {
	d := rc.defaultRuntimeClassName
	d != null
	not d in names
	not "*" in names
} else := set()

_psp_annotation_errors(annotations) := {sprintf("metadata.annotations[%s] %q is not an AppArmor profile (runtime/default, unconfined or localhost/<name>)", [key, p]) |
	some key in [_apparmor_default_key, _apparmor_allowed_key]
	some p in _profile_list(annotations, key)
	not _apparmor_profile_valid(p)
} | {sprintf("metadata.annotations[%s] %q is not a seccomp profile (runtime/default, docker/default, unconfined or localhost/<relative path>)", [key, p]) |
	some key in [_seccomp_default_key, _seccomp_allowed_key]
	_annotation(annotations, key) != ""
	some p in _profile_list(annotations, key)
	not _seccomp_annotation_ok(key, p)
}

_apparmor_profile_valid(p) if p in {"", "runtime/default", "unconfined"}

_apparmor_profile_valid(p) if startswith(p, "localhost/")

_seccomp_annotation_ok(key, "*") if key == _seccomp_allowed_key

_seccomp_annotation_ok(_, p) if p in {"runtime/default", "docker/default", "unconfined"}

_seccomp_annotation_ok(_, p) if {
	startswith(p, "localhost/")
	local := trim_prefix(p, "localhost/")
	not startswith(local, "/")
	not ".." in split(local, "/")
}

# --- RBAC objects ---

_rbac_kinds := {"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"}

_rbac_label(i, obj) := sprintf("%s.rbac[%d] (%s %q)", [_path, i, obj.kind, obj.metadata.name]) if {
	is_string(obj.kind)
	is_string(obj.metadata.name)
} else := sprintf("%s.rbac[%d]", [_path, i])

config_errors contains sprintf("%s must be an RBAC object (%s), got %s", [_rbac_label(i, obj), concat(", ", sort(_rbac_kinds)), _rbac_kind_text(obj)]) if {
	some i, obj in _rbac_objects
	not _field(obj, "kind") in _rbac_kinds
}

# _field(x, key): x[key] for an object x, else null (also when x is not an object).
_field(x, key) := v if {
	v := x[key]
} else := null

_rbac_kind_text(obj) := sprintf("kind %v", [obj.kind]) if is_object(obj)

else := type_name(obj)

config_errors contains sprintf("%s: %s", [_rbac_label(i, obj), msg]) if {
	some i, obj in _rbac_objects
	obj.kind in _rbac_kinds
	some msg in _rbac_errors(obj)
}

config_errors contains sprintf("%s: an object of this kind, namespace and name comes earlier in %s.rbac", [_rbac_label(i, obj), _path]) if {
	some i, obj in _rbac_objects
	some j, other in _rbac_objects
	j < i
	_rbac_id(obj) == _rbac_id(other)
}

_rbac_id(obj) := [obj.kind, object.get(_obj(obj, "metadata"), "namespace", ""), obj.metadata.name]

_namespaced := {"Role", "RoleBinding"}

# (v1beta1 objects, from a cluster before 1.22, mean the same.)
_rbac_versions := {"rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1"}

_rbac_errors(obj) := (({sprintf("apiVersion must be rbac.authorization.k8s.io/v1, got %v", [object.get(obj, "apiVersion", null)]) |
	not object.get(obj, "apiVersion", null) in _rbac_versions
} | _rbac_name_errors(object.get(_obj(obj, "metadata"), "name", null))) | {sprintf("metadata.namespace is required for a %s", [obj.kind]) |
	obj.kind in _namespaced
	not _non_empty_string(object.get(_obj(obj, "metadata"), "namespace", null))
}) | _rbac_body_errors(obj)

# ValidateRBACName: a path segment name.
_rbac_name_errors(name) := {"metadata.name is required"} if {
	not _non_empty_string(name)
} else := {sprintf("metadata.name %q may not be . or .. nor contain / or %%", [name])} if {
	_bad_path_segment(name)
} else := set()

_bad_path_segment(name) if name in {".", ".."}

_bad_path_segment(name) if contains(name, "/")

_bad_path_segment(name) if contains(name, "%")

_rbac_body_errors(obj) := _rules_errors(obj) if obj.kind in {"ClusterRole", "Role"}

else := _binding_errors(obj)

_rules_errors(role) := {"rules must be an array" |
	not is_array(object.get(role, "rules", []))
} | {msg |
	some i, rule in _arr(role, "rules")
	some msg in _rule_errors(i, rule, role.kind)
}

_rule_errors(i, rule, kind) := {sprintf("rules[%d] must be an object", [i])} if not is_object(rule)

else := ({sprintf("rules[%d].%s must be an array of strings", [i, k]) |
	some k in ["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"]
	v := object.get(rule, k, [])
	v != null
	not _string_array(v)
} | {sprintf("rules[%d].verbs must list at least one verb", [i]) |
	count(_arr(rule, "verbs")) == 0
}) | _resource_rule_errors(i, rule, kind)

_string_array(v) if {
	is_array(v)
	every x in v {
		is_string(x)
	}
}

_resource_rule_errors(i, rule, kind) := ({sprintf("rules[%d] must list apiGroups and resources (or only nonResourceURLs)", [i]) |
	count(_arr(rule, "nonResourceURLs")) == 0
	_resource_rule_incomplete(rule)
} | {sprintf("rules[%d] lists nonResourceURLs with apiGroups, resources or resourceNames; split it in two rules", [i]) |
	count(_arr(rule, "nonResourceURLs")) > 0
	(count(_arr(rule, "apiGroups")) + count(_arr(rule, "resources"))) + count(_arr(rule, "resourceNames")) > 0
}) | {sprintf("rules[%d]: a Role cannot have nonResourceURLs", [i]) |
	count(_arr(rule, "nonResourceURLs")) > 0
	kind == "Role"
}

_resource_rule_incomplete(rule) if count(_arr(rule, "apiGroups")) == 0

_resource_rule_incomplete(rule) if count(_arr(rule, "resources")) == 0

_binding_errors(b) := _role_ref_errors(b) | _subjects_errors(b)

_role_ref_errors(b) := {"roleRef must be an object with apiGroup, kind and name"} if {
	not is_object(object.get(b, "roleRef", null))
} else := ({sprintf("roleRef.apiGroup must be rbac.authorization.k8s.io, got %v", [object.get(b.roleRef, "apiGroup", null)]) |
	object.get(b.roleRef, "apiGroup", null) != "rbac.authorization.k8s.io"
} | {sprintf("roleRef.kind must be %s, got %v", [_ref_kinds_text(b.kind), object.get(b.roleRef, "kind", null)]) |
	not _ref_allowed(b.kind, object.get(b.roleRef, "kind", null))
}) | {"roleRef.name is required" |
	not _non_empty_string(object.get(b.roleRef, "name", null))
}

_ref_kinds_text("ClusterRoleBinding") := "ClusterRole"

_ref_kinds_text("RoleBinding") := "Role or ClusterRole"

_subjects_errors(b) := {"subjects must be an array" |
	not is_array(object.get(b, "subjects", []))
} | {msg |
	some i, s in _arr(b, "subjects")
	some msg in _subject_errors(i, s, b.kind)
}

_subject_errors(i, s, binding_kind) := {sprintf("subjects[%d] must be an object", [i])} if not is_object(s)

else := {sprintf("subjects[%d].kind must be User, Group or ServiceAccount, got %v", [i, object.get(s, "kind", null)])} if {
	not object.get(s, "kind", null) in {"User", "Group", "ServiceAccount"}
} else := ({sprintf("subjects[%d].name is required", [i]) |
	not _non_empty_string(object.get(s, "name", null))
} | {sprintf("subjects[%d].apiGroup must be %s for a %s", [i, _subject_group_text(s.kind), s.kind]) |
	not object.get(s, "apiGroup", "") in _subject_groups[s.kind]
}) | ({sprintf("subjects[%d].namespace is required for a ServiceAccount in a ClusterRoleBinding", [i]) |
	s.kind == "ServiceAccount"
	binding_kind == "ClusterRoleBinding"
	not _non_empty_string(object.get(s, "namespace", null))
} | {sprintf("subjects[%d].name %q is not a valid service account name (a DNS subdomain)", [i, s.name]) |
	s.kind == "ServiceAccount"
	_non_empty_string(s.name)
	not _dns_subdomain(s.name)
})

# (SetDefaults_Subject fills in the group of a User or Group.)
_subject_groups := {"User": {"", "rbac.authorization.k8s.io"}, "Group": {"", "rbac.authorization.k8s.io"}, "ServiceAccount": {""}}

_subject_group_text("ServiceAccount") := `"" (or absent)`

_subject_group_text(kind) := "rbac.authorization.k8s.io" if kind != "ServiceAccount"
