# METADATA
# title: wasmgate entrypoints
# description: |
#   decision: {"allowed": bool, "violations": [{policy, message, action, path?}]}
#   for an AdmissionReview input; defined for every input.
#   config_errors: the set of problems found in data.config (empty when valid).
#   mutation: {"patch": [RFC 6902 operations], "profile": PSP name or null}:
#   the PodSecurityPolicy defaulting of a created Pod (see podsecurity/).
package wasmgate.main

import data.wasmgate.bounds
import data.wasmgate.calico
import data.wasmgate.limits
import data.wasmgate.namespaces
import data.wasmgate.podsecurity
import data.wasmgate.registries

import data.wasmgate.lib.config
import data.wasmgate.lib.enforcement
import data.wasmgate.lib.scope

# Every policy id the packages can report; config.enforcement keys must be
# one of these or a family (the id up to the first ".").
policy_ids := (((calico.policy_ids | namespaces.policy_ids) | registries.policy_ids) | limits.policy_ids) | podsecurity.policy_ids

families := {enforcement.family(id) | some id in policy_ids}

_found contains v if some v in calico.violations

_found contains v if some v in namespaces.violations

_found contains v if some v in registries.violations

_found contains v if some v in limits.violations

_found contains v if some v in podsecurity.violations

_violations contains object.union(v, {"action": enforcement.action(v.policy)}) if {
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

# An object past config.bounds is denied for that alone: the other policies do not run on it
# (the else branch is evaluated only when the first is undefined), so its size costs a count.
decision := {"allowed": false, "violations": _bounded} if {
	count(_bounded) > 0
} else := {"allowed": allowed, "violations": _sorted}

_bounded_by_key := {_sort_key(d): d | some v in bounds.violations; d := object.union(v, {"action": "deny"})}

_bounded := [_bounded_by_key[k] | some k in sort({k | some k, _ in _bounded_by_key})]

config_errors := ((((((config.errors | _enforcement_errors) | calico.config_errors) | registries.config_errors) | limits.config_errors) | podsecurity.config_errors) | bounds.config_errors) | scope.errors(policy_ids | families)

_enforcement_errors contains sprintf("config.enforcement has unknown policy %q (known: %s)", [k, concat(", ", sort(policy_ids | families))]) if {
	some k, _ in config.enforcement
	not k in policy_ids
	not k in families
}

# With invalid data.config nothing is defaulted (the decision denies everything).
# A request the family pod-security is scoped away from is not defaulted either.
mutation := podsecurity.mutation if {
	count(_config_errors) == 0
	scope.applies("pod-security")
}

else := {"patch": [], "profile": null}
