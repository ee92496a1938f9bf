# For every generated case {entry, review}: whether lib/scope says the policy
# "p" applies to the review under config.scope = {"p": entry}.
package scope_cases

import data.wasmgate.lib.scope

results := [_applies(c) | some c in input.cases]

_applies(c) if {
	scope.applies("p") with data.config as {"scope": {"p": c.entry}} with input as c.review
} else := false

# The generated entries are valid: no config_errors for any of them.
errors := [e | some c in input.cases; e := _errors(c)]

_errors(c) := e if {
	e := scope.errors({"p"}) with data.config as {"scope": {"p": c.entry}}
}
