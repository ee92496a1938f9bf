# METADATA
# title: Resource limits
# description: |
#   limits.missing: every container and init container sets
#   resources.limits.cpu and resources.limits.memory.
#   limits.invalid: every request and limit is a valid quantity.
#   limits.request-exceeds-limit: no request is above its limit.
#   limits.maximum: no cpu/memory limit is above config.limits.maximum.
#   Ephemeral containers cannot have resources and are not checked here.
# custom:
#   id: limits
#   action: deny
#   remediation: Set valid resources.limits.cpu and resources.limits.memory on every container, with requests at most the limits and limits at most config.limits.maximum.
#   data:
#     - config.limits.maximum
#   rules:
#     limits.missing: CPU and memory limits are set
#     limits.invalid: Requests and limits are valid quantities
#     limits.request-exceeds-limit: No request above its limit
#     limits.maximum: No limit above config.limits.maximum
package wasmgate.policies.limits.resources

import data.wasmgate.lib.config
import data.wasmgate.lib.messages
import data.wasmgate.lib.pods
import data.wasmgate.lib.quantity

metadata := rego.metadata.chain()

required := ["cpu", "memory"]

_settings := config.section("limits")

maximum := m if {
	m := _settings.maximum
	is_object(m)
} else := {}

_checked_fields := {"containers", "initContainers"}

# By path, like pods.containers (hashing whole containers into a set is slow in WASM).
_containers[path] := c if {
	some path, c in pods.containers
	c.field in _checked_fields
}

_resources(c, kind) := r if {
	r := c.container.resources[kind]
	is_object(r)
} else := {}

# Each checked container's requests and limits parsed once, by container path:
# {"limits": {"cpu": parsed, ...}, "requests": {...}}; invalid quantities are absent.
_parsed[path] := {kind: {r: p | some r, q in _resources(c, kind); p := quantity.parse(q)} | some kind in ["limits", "requests"]} if {
	some path, c in _containers
}

_ceilings := {r: p | some r, q in maximum; p := quantity.parse(q)}

violations contains messages.violation("limits.missing", sprintf("%s.resources.limits.%s", [c.path, r]), msg) if {
	some c in _containers
	some r in required
	is_null(object.get(_resources(c, "limits"), r, null))
	msg := sprintf("%s does not set resources.limits.%s; set a %s limit (for example %s)", [pods.label(c), r, r, _example[r]])
}

_example := {"cpu": `cpu: "500m"`, "memory": `memory: "256Mi"`}

violations contains messages.violation("limits.invalid", sprintf("%s.resources.%s.%s", [c.path, kind, r]), msg) if {
	some path, c in _containers
	some kind in ["limits", "requests"]
	some r, q in _resources(c, kind)
	not is_null(q)
	not _parsed[path][kind][r]
	msg := sprintf("%s has an invalid resources.%s.%s quantity %s; use a Kubernetes quantity such as 500m, 0.5, 256Mi or 1Gi", [pods.label(c), kind, r, _quote(q)])
}

violations contains messages.violation("limits.request-exceeds-limit", sprintf("%s.resources.requests.%s", [c.path, r]), msg) if {
	some path, c in _containers
	some r, requested in _parsed[path].requests
	quantity.less(_parsed[path].limits[r], requested)
	msg := sprintf("%s requests %s %s, more than its limit %s; lower the request to at most the limit", [pods.label(c), r, _quote(_resources(c, "requests")[r]), _quote(_resources(c, "limits")[r])])
}

violations contains messages.violation("limits.maximum", sprintf("%s.resources.limits.%s", [c.path, r]), msg) if {
	some path, c in _containers
	some r, ceiling in _ceilings
	quantity.less(ceiling, _parsed[path].limits[r])
	limit := _resources(c, "limits")[r]
	msg := sprintf("%s sets resources.limits.%s to %s, above the maximum %s; lower the limit to at most %s", [pods.label(c), r, _quote(limit), _quote(maximum[r]), _quote(maximum[r])])
}

_quote(q) := sprintf("%q", [q]) if is_string(q)

else := sprintf("%v", [q])

# --- configuration checks for config.limits ---

config_errors contains msg if {
	some msg in config.unknown_key_errors("config.limits", _settings, {"maximum"})
}

config_errors contains msg if {
	some msg in config.type_errors("config.limits", _settings, "maximum", "object", false)
}

config_errors contains msg if {
	some msg in config.unknown_key_errors("config.limits.maximum", maximum, {r | some r in required})
}

config_errors contains sprintf("config.limits.maximum.%s %s is not a valid quantity (use e.g. \"4\" or \"8Gi\")", [r, _quote(q)]) if {
	some r, q in maximum
	not quantity.valid(q)
}
