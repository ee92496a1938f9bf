# For every generated input, [old, new]: the regex-based rule of the oracle
# packages and the string-function rule of policies/lib or
# policies/podsecurity/psp/config.rego (null or false when the rule is undefined).
package differential

import data.oracle
import data.wasmgate.lib.config
import data.wasmgate.lib.images
import data.wasmgate.lib.quantity
import data.wasmgate.policies.podsecurity.psp as podsecurity

results := {
	"images": [[_old_image(r), _new_image(r)] | some r in input.images],
	"quantities": [[_old_quantity(q), _new_quantity(q)] | some q in input.quantities],
	"locations": [[_old_location(e), _new_location(e)] | some e in input.locations],
	"namespaces": [[_old_namespace(ns), _new_namespace(ns)] | some ns in input.namespaces],
	"subdomains": [[_old_subdomain(s), _new_subdomain(s)] | some s in input.subdomains],
	"sysctls": [[_old_sysctl(s), _new_sysctl(s)] | some s in input.sysctls],
}

_old_image(r) := p if {
	p := oracle.images.parse(r)
} else := null

_new_image(r) := p if {
	p := images.parse(r)
} else := null

_old_quantity(q) := p if {
	p := oracle.quantity.parse(q)
} else := null

_new_quantity(q) := p if {
	p := quantity.parse(q)
} else := null

_old_location(e) if oracle.patterns.location(e)

else := false

_new_location(e) if images.location(e)

else := false

_old_namespace(ns) if oracle.patterns.namespace_name(ns)

else := false

_new_namespace(ns) if config.namespace_name(ns)

else := false

_old_subdomain(s) if oracle.podsecurity.dns_subdomain(s)

else := false

_new_subdomain(s) if podsecurity._dns_subdomain(s)

else := false

_old_sysctl(s) if oracle.podsecurity.sysctl_pattern_valid(s)

else := false

_new_sysctl(s) if podsecurity._sysctl_pattern_valid(s)

else := false
