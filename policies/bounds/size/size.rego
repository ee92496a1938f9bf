# METADATA
# title: Size bounds, checked before every other policy
# description: |
#   bounds: a pod spec with more containers (all three lists together) than
#   config.bounds.maxContainers, or a container listing more capabilities
#   (add and drop together) than config.bounds.maxCapabilities, is denied by
#   this rule alone. It is a precheck (custom.precheck): when it finds something
#   the decision runs no other policy (main.rego), so an
#   oversized object costs a count, not seconds of policy work, and cannot
#   crowd out other reviews. Its violations always deny: such an object was
#   not checked otherwise.
# custom:
#   id: bounds
#   action: deny
#   precheck: true
#   remediation: Split a pod spec with that many containers, or list each capability once; raise config.bounds if such objects are legitimate.
#   data:
#     - config.bounds.maxContainers
#     - config.bounds.maxCapabilities
package wasmgate.policies.bounds.size

import data.wasmgate.lib.config
import data.wasmgate.lib.messages
import data.wasmgate.lib.pods

metadata := rego.metadata.chain()

_settings := config.section("bounds")

# The documented defaults, far above any real pod (Linux has 41 capabilities).
defaults := {"maxContainers": 64, "maxCapabilities": 64}

limit(key) := n if {
	n := _settings[key]
	is_number(n)
} else := defaults[key]

# The bounds, read once per evaluation.
_max_containers := limit("maxContainers")

_max_capabilities := limit("maxCapabilities")

violations contains messages.violation("bounds", pod.path, msg) if {
	some pod in pods.pod_specs
	n := sum([_length(pod.spec[field]) | some field, _ in pods.container_fields])
	n > _max_containers
	msg := sprintf("the pod spec has %d containers, more than config.bounds.maxContainers (%d), so no other policy checked it; split it or raise the bound", [n, _max_containers])
}

violations contains messages.violation("bounds", sprintf("%s.%s[%d].securityContext.capabilities", [pod.path, field, i]), msg) if {
	some pod in pods.pod_specs
	some field, _ in pods.container_fields
	some i, ctr in pod.spec[field]
	caps := ctr.securityContext.capabilities
	is_object(caps)
	n := _length(object.get(caps, "add", null)) + _length(object.get(caps, "drop", null))
	n > _max_capabilities
	msg := sprintf("%s lists %d capabilities, more than config.bounds.maxCapabilities (%d), so no other policy checked it; list each capability once", [_label(field, i, ctr), n, _max_capabilities])
}

# The length of a list, 0 for anything else (or nothing).
_length(list) := count(list) if is_array(list)

else := 0

_label(field, i, ctr) := sprintf("%s %q", [pods.container_fields[field], ctr.name]) if {
	is_string(ctr.name)
	ctr.name != ""
} else := sprintf("%s %s[%d]", [pods.container_fields[field], field, i])

config_errors contains msg if some msg in config.unknown_key_errors("config.bounds", _settings, {k | some k, _ in defaults})

config_errors contains sprintf("config.bounds.%s must be a whole number of at least 1, got %v", [k, v]) if {
	some k, v in _settings
	k in config.keys(defaults)
	not _positive_integer(v)
}

_positive_integer(v) if {
	is_number(v)
	v >= 1
	v == round(v)
}
