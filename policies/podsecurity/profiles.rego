# Pod security profiles and their bindings.
#
# config.podSecurity.profiles holds named profiles in PodSecurityPolicy
# terms. The default profile (restricted) must set every field; any other
# profile sets only the fields it changes, the rest come from the default.
# config.podSecurity.bindings binds a profile to explicit
# (namespace, serviceAccountName) pairs; every other pod gets the default.
package wasmgate.podsecurity

import data.wasmgate.lib.config

_settings := config.section("podSecurity")

profiles := p if {
	p := _settings.profiles
	is_object(p)
} else := {}

default_profile_name := n if {
	n := _settings.defaultProfile
	is_string(n)
} else := "restricted"

_default_profile := p if {
	p := profiles[default_profile_name]
	is_object(p)
} else := {}

bindings := [b | some b in _settings.bindings; is_object(b)]

# profile_name(namespace, serviceAccountName): the bound profile, else the default.
# (Two bindings of one pair are a config error; the first name in sort order wins.)
profile_name(ns, sa) := names[0] if {
	names := sort([b.profile |
		some b in bindings
		b.namespace == ns
		b.serviceAccountName == sa
	])
	count(names) > 0
} else := default_profile_name

# profile(name): the default profile with the named profile's fields applied.
profile(name) := {k: v |
	some k, d in _default_profile
	v := object.get(_overrides(name), k, d)
}

_overrides(name) := p if {
	p := profiles[name]
	is_object(p)
} else := {}

# Field -> type of every profile field.
profile_fields := {
	"privileged": "boolean",
	"allowPrivilegeEscalation": "boolean",
	"allowedCapabilities": "array",
	"requiredDropCapabilities": "array",
	"volumes": "array",
	"hostNetwork": "boolean",
	"hostIPC": "boolean",
	"hostPID": "boolean",
	"hostPorts": "array",
	"runAsUser": "object",
	"seLinux": "object",
	"supplementalGroups": "object",
	"fsGroup": "object",
	"readOnlyRootFilesystem": "boolean",
}

_rules := {
	"runAsUser": {"MustRunAsNonRoot", "RunAsAny"},
	"seLinux": {"RunAsAny"},
	"supplementalGroups": {"MustRunAs", "RunAsAny"},
	"fsGroup": {"MustRunAs", "RunAsAny"},
}

volume_types := {
	"*", "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "configMap", "csi",
	"downwardAPI", "emptyDir", "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk",
	"gitRepo", "glusterfs", "hostPath", "image", "iscsi", "nfs", "persistentVolumeClaim",
	"photonPersistentDisk", "portworxVolume", "projected", "quobyte", "rbd", "scaleIO", "secret",
	"storageos", "vsphereVolume",
}

# --- configuration checks for config.podSecurity ---

_path := "config.podSecurity"

config_errors contains msg if {
	some msg in config.unknown_key_errors(_path, _settings, {"defaultProfile", "profiles", "bindings"})
}

config_errors contains msg if {
	some key, type in {"defaultProfile": "string", "profiles": "object", "bindings": "array"}
	some msg in config.type_errors(_path, _settings, key, type, key != "bindings")
}

config_errors contains sprintf("%s.defaultProfile %q is not a profile in %s.profiles", [_path, default_profile_name, _path]) if {
	is_object(_settings.profiles)
	not default_profile_name in config.keys(profiles)
}

config_errors contains sprintf("%s.profiles.%s (the default profile) must set %s", [_path, default_profile_name, field]) if {
	is_object(profiles[default_profile_name])
	some field, _ in profile_fields
	not field in config.keys(_default_profile)
}

config_errors contains sprintf("%s.profiles.%s must be an object, got %s", [_path, name, type_name(p)]) if {
	some name, p in profiles
	not is_object(p)
}

config_errors contains msg if {
	some name, p in profiles
	is_object(p)
	some msg in _profile_errors(concat(".", [_path, "profiles", name]), p)
}

_profile_errors(path, p) := (config.unknown_key_errors(path, p, config.keys(profile_fields)) | _field_type_errors(path, p)) | _field_value_errors(path, p)

_field_type_errors(path, p) := {msg |
	some field, type in profile_fields
	some msg in config.type_errors(path, p, field, type, false)
}

_field_value_errors(path, p) := ((_list_errors(path, p) | _rule_errors(path, p)) | _range_errors(path, p)) | _volume_errors(path, p)

_list_errors(path, p) := {msg |
	some field in ["allowedCapabilities", "requiredDropCapabilities", "volumes"]
	is_array(p[field])
	some msg in config.string_list_errors(concat(".", [path, field]), p[field])
}

_volume_errors(path, p) := {sprintf("%s.volumes[%d] %q is not a volume type (known: %s)", [path, i, v, concat(", ", sort(volume_types))]) |
	some i, v in p.volumes
	is_string(v)
	not v in volume_types
}

_rule_errors(path, p) := {sprintf("%s.%s.rule must be one of %s, got %v", [path, field, concat(", ", sort(allowed)), object.get(p[field], "rule", null)]) |
	some field, allowed in _rules
	is_object(p[field])
	not object.get(p[field], "rule", null) in allowed
}

_range_errors(path, p) := {sprintf("%s.%s must be a list of {min, max} integer ranges with 0 <= min <= max <= %d", [path, field, bound]) |
	some field, bound in {"hostPorts": 65535, "supplementalGroups": 2147483647, "fsGroup": 2147483647}
	ranges := _ranges_of(p, field)
	not _valid_ranges(ranges, bound)
}

_ranges_of(p, "hostPorts") := p.hostPorts

_ranges_of(p, field) := object.get(p[field], "ranges", []) if {
	field != "hostPorts"
	is_object(p[field])
}

_valid_ranges(ranges, bound) if {
	is_array(ranges)
	every r in ranges {
		is_object(r)
		_valid_range(r, bound)
	}
}

_valid_range(r, bound) if {
	is_number(r.min)
	is_number(r.max)
	r.min == floor(r.min)
	r.max == floor(r.max)
	0 <= r.min
	r.min <= r.max
	r.max <= bound
}

config_errors contains sprintf("%s.profiles.%s.%s.rule is MustRunAs but no ranges are set", [_path, name, field]) if {
	some name, p in profiles
	is_object(p)
	some field in ["supplementalGroups", "fsGroup"]
	object.get(p, [field, "rule"], null) == "MustRunAs"
	count(object.get(p, [field, "ranges"], [])) == 0
}

config_errors contains sprintf("%s.bindings[%d] must be an object with namespace, serviceAccountName and profile", [_path, i]) if {
	some i, b in _settings.bindings
	not is_object(b)
}

config_errors contains sprintf("%s.bindings[%d].%s must be a non-empty string", [_path, i, key]) if {
	some i, b in _settings.bindings
	is_object(b)
	some key in ["namespace", "serviceAccountName", "profile"]
	not _non_empty_string(object.get(b, key, null))
}

config_errors contains msg if {
	some i, b in _settings.bindings
	is_object(b)
	some msg in config.unknown_key_errors(sprintf("%s.bindings[%d]", [_path, i]), b, {"namespace", "serviceAccountName", "profile"})
}

config_errors contains sprintf("%s.bindings[%d] binds to the profile %q, which does not exist (profiles: %s)", [_path, i, b.profile, concat(", ", sort(config.keys(profiles)))]) if {
	some i, b in _settings.bindings
	is_string(b.profile)
	not b.profile in config.keys(profiles)
}

config_errors contains sprintf("%s.bindings: service account %s/%s is bound to more than one profile (%s); bind it to one", [_path, ns, sa, concat(", ", names)]) if {
	some b in bindings
	ns := b.namespace
	sa := b.serviceAccountName
	names := sort({other.profile |
		some other in bindings
		other.namespace == ns
		other.serviceAccountName == sa
	})
	count(names) > 1
}

_non_empty_string(s) if {
	is_string(s)
	s != ""
}
