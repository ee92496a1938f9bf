# METADATA
# title: Calico network policy guards
# description: |
#   calico.order: a namespaced Calico NetworkPolicy outside the system
#   namespaces must have spec.order above the threshold, so it can never take
#   precedence over the cluster's own policies. Both API groups are covered
#   (crd.projectcalico.org and the API server's projectcalico.org).
#   calico.global: GlobalNetworkPolicy and GlobalNetworkSet are admin-only.
# custom:
#   id: calico
#   action: deny
#   remediation: Give a namespaced NetworkPolicy a spec.order above config.calico.orderThreshold; ask a cluster admin for global Calico resources.
#   data:
#     - config.calico.orderThreshold
#     - config.calico.namespaceThresholds
#     - config.systemNamespaces
#     - config.admins
#   rules:
#     calico.order: NetworkPolicy order above the cluster's policies
#     calico.global: Global Calico resources are admin-only
package wasmgate.policies.calico.networkpolicy

import data.wasmgate.lib.config
import data.wasmgate.lib.messages
import data.wasmgate.lib.request

metadata := rego.metadata.chain()

groups := {"crd.projectcalico.org", "projectcalico.org"}

global_kinds := {"GlobalNetworkPolicy", "GlobalNetworkSet"}

_settings := config.section("calico")

_namespace_thresholds := t if {
	t := _settings.namespaceThresholds
	is_object(t)
} else := {}

# threshold(ns): orders at or below it are denied in namespace ns.
threshold(ns) := t if {
	t := _namespace_thresholds[ns]
} else := _settings.orderThreshold

_order_checked if {
	request.group in groups
	request.kind == "NetworkPolicy"
	request.operation in {"CREATE", "UPDATE"}
	not request.in_system_namespace
}

_spec := s if {
	s := request.req.object.spec
	is_object(s)
} else := {}

violations contains messages.violation("calico.order", "spec.order", msg) if {
	_order_checked
	order := _spec.order
	is_number(order)
	limit := threshold(request.namespace)
	order <= limit
	msg := sprintf(
		"spec.order %v is not greater than %v, so the policy could take precedence over the cluster's network policies; set spec.order above %v or remove it",
		[order, limit, limit],
	)
}

violations contains messages.violation("calico.order", "spec.order", msg) if {
	_order_checked
	order := _spec.order
	not is_number(order)
	not is_null(order)
	msg := sprintf("spec.order %v is not a number (%s); set a numeric spec.order above %v or remove it", [order, type_name(order), threshold(request.namespace)])
}

violations contains messages.violation_no_path("calico.global", msg) if {
	request.group in groups
	request.kind in global_kinds
	request.operation in {"CREATE", "UPDATE", "DELETE"}
	not request.is_admin
	msg := sprintf(
		"user %q may not %s a %s: cluster-wide Calico resources are reserved to cluster admins; ask an admin to make the change",
		[request.username, lower(request.operation), request.kind],
	)
}

# --- configuration checks for config.calico ---

config_errors contains msg if {
	some msg in config.unknown_key_errors("config.calico", _settings, {"orderThreshold", "namespaceThresholds"})
}

config_errors contains msg if {
	some msg in config.type_errors("config.calico", _settings, "orderThreshold", "number", true)
}

config_errors contains msg if {
	some msg in config.type_errors("config.calico", _settings, "namespaceThresholds", "object", false)
}

config_errors contains sprintf("config.calico.namespaceThresholds.%s must be a number, got %s", [ns, type_name(t)]) if {
	some ns, t in _namespace_thresholds
	not is_number(t)
}
