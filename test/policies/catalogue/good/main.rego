# METADATA
# title: Entrypoints of a small policy directory in the contract's layout
# description: |
#   The decision aggregates over every wasmgate.policies.<family>.<name>
#   package. The action is config.enforcement's, else deny.
package wasmgate.main

_found contains v if {
	some family, name
	some v in data.wasmgate.policies[family][name].violations
}

_violations contains object.union(v, {"action": object.get(data.config.enforcement, v.policy, "deny")}) if some v in _found

decision := {"allowed": allowed, "violations": [v | some v in _violations]}

default allowed := true

allowed := false if {
	some v in _violations
	v.action == "deny"
}

config_errors := set()

mutation := {"patch": [], "profile": null}
