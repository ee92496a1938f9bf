# METADATA
# title: Configuration accessors and shared validation
# description: |
#   Reads data.config with the documented defaults for optional keys, and
#   validates the shared keys: systemNamespaces, admins and enforcement values.
#   The other top-level keys are the sections the policies' METADATA names
#   (custom.data); main.rego checks them, each policy package their contents
#   (see its config_errors).
package wasmgate.lib.config

import data.wasmgate.lib.chars

default root := {}

root := data.config if is_object(data.config)

# section(name) is config.<name> when it is an object, else {}.
section(name) := s if {
	s := root[name]
	is_object(s)
} else := {}

# The shared top-level keys, and whether they must be present.
sections := {
	"systemNamespaces": true,
	"admins": true,
	"enforcement": false,
	"scope": false,
}

actions := {"deny", "warn", "dryrun"}

# These sets are read from data.prepared.config when the host has prepared the data (main's
# prepare), else computed.
system_namespaces := s if {
	s := data.prepared.config.system_namespaces
} else := {ns | some ns in _array(root, "systemNamespaces"); is_string(ns)}

_admins := section("admins")

admin_users := s if {
	s := data.prepared.config.admin_users
} else := {u | some u in _array(_admins, "users"); is_string(u)}

admin_groups := s if {
	s := data.prepared.config.admin_groups
} else := {g | some g in _array(_admins, "groups"); is_string(g)} | _sa_groups

# What main's prepare stores under data.prepared.config.
prepared := {"system_namespaces": system_namespaces, "admin_users": admin_users, "admin_groups": admin_groups}

_sa_groups := {concat("", ["system:serviceaccounts:", ns]) | some ns in system_namespaces} if {
	object.get(_admins, "systemNamespaceServiceAccounts", true) == true
} else := set()

enforcement := section("enforcement")

_array(obj, key) := a if {
	a := obj[key]
	is_array(a)
} else := []

# --- validation helpers shared by the policy packages ---

# string_list_errors(path, value): value must be an array of non-empty strings.
string_list_errors(path, value) := {sprintf("%s must be an array of strings, got %s", [path, type_name(value)])} if {
	not is_array(value)
} else := {sprintf("%s[%d] must be a non-empty string, got %s", [path, i, _describe(v)]) |
	some i, v in value
	not _non_empty_string(v)
}

_describe("") := "an empty string"

_describe(v) := type_name(v) if v != ""

_non_empty_string(v) if {
	is_string(v)
	v != ""
}

# unknown_key_errors(path, obj, known): keys of obj that are not in known.
unknown_key_errors(path, obj, known) := {sprintf("%s has unknown key %q (known: %s)", [path, k, concat(", ", sort(known))]) |
	some k, _ in obj
	not k in known
}

# type_errors(path, obj, key, type, required): key must hold a value of the type.
type_errors(path, obj, key, type, required) := {sprintf("%s.%s is required", [path, key])} if {
	required
	not key in keys(obj)
} else := {sprintf("%s.%s must be %s, got %s", [path, key, _article(type), type_name(obj[key])])} if {
	type_name(obj[key]) != type
} else := set()

# keys(obj): the set of keys of an object (object.keys is not available in the WASM SDK).
keys(obj) := {k | some k, _ in obj}

_article("array") := "an array"

_article("object") := "an object"

_article(t) := concat(" ", ["a", t]) if not t in {"array", "object"}

# --- errors in the shared parts of the configuration ---

errors contains "config must be an object (data.config is missing or not an object)" if not is_object(data.config)

errors contains msg if {
	some k, required in sections
	some msg in type_errors("config", root, k, _section_type(k), required)
}

_section_type("systemNamespaces") := "array"

_section_type(k) := "object" if k != "systemNamespaces"

errors contains msg if {
	is_array(root.systemNamespaces)
	some msg in string_list_errors("config.systemNamespaces", root.systemNamespaces)
}

errors contains sprintf("config.systemNamespaces[%d] %q is not a valid namespace name", [i, ns]) if {
	some i, ns in _array(root, "systemNamespaces")
	is_string(ns)
	ns != ""
	not namespace_name(ns)
}

# namespace_name(s): a DNS label as Kubernetes names namespaces, [a-z0-9]([-a-z0-9]*[a-z0-9])?
# (no regular expression: see lib/chars).
namespace_name(s) if {
	s != ""
	chars.only(s, concat("", [chars.lower_alnum, "-"]))
	trim(s, "-") == s
}

errors contains msg if some msg in unknown_key_errors("config.admins", _admins, {"users", "groups", "systemNamespaceServiceAccounts"})

errors contains msg if {
	some key in ["users", "groups"]
	key in keys(_admins)
	some msg in string_list_errors(concat(".", ["config.admins", key]), _admins[key])
}

errors contains msg if some msg in type_errors("config.admins", _admins, "systemNamespaceServiceAccounts", "boolean", false)

errors contains sprintf("config.enforcement.%s must be one of deny, warn, dryrun, got %v", [k, v]) if {
	some k, v in enforcement
	not v in actions
}
