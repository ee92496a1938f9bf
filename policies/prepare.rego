# prepare: the data-only work of the decision and the mutation, once per data
# load. It is what they would otherwise compute from data alone on every
# request (config_errors, the normalised PSPs and the RBAC grants, the admin
# and system namespace sets, the normalised registries). The host evaluates it
# whenever data is set and stores the result as data.prepared; each of those
# rules reads its value from there when present and computes it when absent
# (opa eval, opa test, a host that does not prepare), with the same answers
# either way.
package wasmgate.main

import data.wasmgate.lib.config
import data.wasmgate.lib.pods
import data.wasmgate.lib.quantity

# A policy package that has data-only work defines `prepared`; it is stored under
# data.prepared.policies.<family>.<name> for the package to read back.
prepare := {
	"config_errors": config_errors,
	"config": config.prepared,
	"quantity": quantity.prepared,
	"pods": pods.prepared,
	"metadata": _metadata,
	"policies": {f: {n: p | some [g, n], p in _prepared; g == f} | some [f, _], _ in _prepared},
}

_prepared[[f, n]] := p if {
	some f, n
	p := data.wasmgate.policies[f][n].prepared
}

# config_errors as prepared with the data, else computed: a decision with invalid data still
# fails closed.
_config_errors := e if {
	e := data.prepared.config_errors
} else := config_errors
