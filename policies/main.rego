# METADATA
# title: wasmgate entrypoints
# description: |
#   decision: {"allowed": bool, "violations": [{policy, message, action, path?}]}
#   for an AdmissionReview input; defined for every input.
#   config_errors: the set of problems found in data.config (empty when valid).
#   mutation: {"patch": [RFC 6902 operations], "profile": PSP name or null}:
#   the PodSecurityPolicy defaulting of a created Pod (see podsecurity/psp/).
#   Each aggregates over every package data.wasmgate.policies.<family>.<name>:
#   no file lists them (see policies/README.md).
package wasmgate.main

import data.wasmgate.lib.config
import data.wasmgate.lib.enforcement
import data.wasmgate.lib.scope

# --- the policy packages and their METADATA ---

# custom of each policy package's METADATA, by [family, name]. A package reads its own
# annotations with `metadata := rego.metadata.chain()` (OPA fills them in at compile time).
policies[[f, n]] := custom if {
	some f, n
	some entry in data.wasmgate.policies[f][n].metadata
	entry.path == ["wasmgate", "policies", f, n]
	custom := object.get(entry, ["annotations", "custom"], {})
}

# What the decision needs of the METADATA, read from data.prepared.metadata when the host has
# prepared the data (main's prepare), else computed: it is the same for every request.
_metadata := m if {
	m := data.prepared.metadata
} else := {"prechecks": _prechecks, "default_action": _default_actions, "ids": _package_ids}

# custom.id by family and name.
_package_ids := {f: {n: custom.id | some [g, n], custom in policies; g == f} | some [f, _], _ in policies}

# A precheck policy (custom.precheck: true) runs before the others; what it finds always denies.
_prechecks := {[f, n] | some [f, n], custom in policies; custom.precheck == true}

_precheck(f, n) if [f, n] in _metadata.prechecks

# The default action of every id a (non-precheck) package declares: its custom.id and the keys
# of its custom.rules share the package's custom.action.
_default_actions[id] := _action_of(custom) if {
	some [f, n], custom in policies
	not [f, n] in _prechecks
	some id in _ids_of(custom)
}

_default_action := _metadata.default_action

_ids_of(custom) := {id | some id in array.concat([object.get(custom, "id", null)], [r | some r, _ in object.get(custom, "rules", {})]); is_string(id)}

_action_of(custom) := custom.action if custom.action in config.actions

else := "deny"

# Every policy id the packages can report; config.enforcement keys must be
# one of these or a family (the id up to the first ".").
policy_ids := {id | some id, _ in _default_action}

families := {enforcement.family(id) | some id in policy_ids}

_found contains v if {
	some f, n
	some v in data.wasmgate.policies[f][n].violations
	not _precheck(f, n)
}

# A finding counts where the policy applies (its config.scope, see lib/scope).
_violations contains object.union(v, {"action": enforcement.action(v.policy, object.get(_default_action, v.policy, "deny"))}) if {
	some v in _found
	scope.applies(v.policy)
}

# With invalid data.config the policies cannot be trusted: fail closed.
_violations contains {
	"policy": "config",
	"action": "deny",
	"message": sprintf("wasmgate configuration is invalid, so every request is denied: %s", [concat("; ", sort(_config_errors))]),
} if count(_config_errors) > 0

# Violations sorted by policy, path, message, action (an order that the
# WASM build and opa eval share: plain string comparison).
_by_key := {_sort_key(v): v | some v in _violations}

_sort_key(v) := concat("\n", [v.policy, object.get(v, "path", ""), v.message, v.action])

_sorted := [_by_key[k] | some k in sort({k | some k, _ in _by_key})]

# allowed: no violation has the action "deny" (warn and dryrun never block).
default allowed := true

allowed := false if {
	some v in _violations
	v.action == "deny"
}

# What a precheck policy (bounds: an object past config.bounds) finds is denied for that alone: the
# other policies do not run on it (the else branch is evaluated only when the first is undefined),
# so its size costs a count.
decision := {"allowed": false, "violations": _bounded} if {
	count(_bounded) > 0
} else := {"allowed": allowed, "violations": _sorted}

_bounded_by_key := {_sort_key(d): d |
	some [f, n] in _metadata.prechecks
	some v in data.wasmgate.policies[f][n].violations
	d := object.union(v, {"action": "deny"})
}

_bounded := [_bounded_by_key[k] | some k in sort({k | some k, _ in _bounded_by_key})]

# The top-level config keys: the shared ones (lib/config) and the first key below config of every
# data key a policy's METADATA lists (custom.data); a policy's section must be an object.
config_sections := {k | some k, _ in config.sections} | _policy_sections

_policy_sections := {split(key, ".")[1] |
	some custom in policies
	some key in object.get(custom, "data", [])
	is_string(key)
	startswith(key, "config.")
}

_section_errors contains msg if some msg in config.unknown_key_errors("config", config.root, config_sections)

_section_errors contains msg if {
	some k in (_policy_sections - {k | some k, _ in config.sections})
	some msg in config.type_errors("config", config.root, k, "object", false)
}

_policy_errors contains e if {
	some f, n
	some e in data.wasmgate.policies[f][n].config_errors
}

config_errors := (((config.errors | _section_errors) | _enforcement_errors) | _policy_errors) | scope.errors(policy_ids | families)

_enforcement_errors contains sprintf("config.enforcement has unknown policy %q (known: %s)", [k, concat(", ", sort(policy_ids | families))]) if {
	some k, _ in config.enforcement
	not k in policy_ids
	not k in families
}

# The mutations of the packages that define `mutation` (only pod security does), by [family,
# name]: their patches in that order, and the first PSP profile chosen. A request a package is
# scoped away from (its custom.id in config.scope) is not mutated by it.
_mutations[[f, n]] := m if {
	some f, n
	m := data.wasmgate.policies[f][n].mutation
	scope.applies(_metadata.ids[f][n])
}

_mutation_order := sort({k | some k, _ in _mutations})

_profiles := [p | some k in _mutation_order; p := _mutations[k].profile; p != null]

default _profile := null

_profile := _profiles[0]

# With invalid data.config nothing is defaulted (the decision denies everything).
mutation := {"patch": [op | some k in _mutation_order; some op in _mutations[k].patch], "profile": _profile} if count(_config_errors) == 0

else := {"patch": [], "profile": null}
