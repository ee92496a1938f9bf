# METADATA
# title: Enforcement actions
# description: |
#   action(policy_id, default_action) is config.enforcement[policy_id], else the
#   entry of its family (the id up to the first "."), else default_action (the
#   policy's METADATA custom.action). Values are checked by config_errors; an
#   unknown value counts as "deny" so a typo never relaxes.
package wasmgate.lib.enforcement

import data.wasmgate.lib.config

family(policy_id) := split(policy_id, ".")[0]

action(policy_id, default_action) := _valid(config.enforcement[policy_id]) if {
	_keys[policy_id]
} else := _valid(config.enforcement[family(policy_id)]) if {
	_keys[family(policy_id)]
} else := _valid(default_action)

_keys := {k | some k, _ in config.enforcement}

_valid(a) := a if config.actions[a]

else := "deny"
