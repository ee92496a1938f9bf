package wasmgate.policies.calico.networkpolicy_test

import data.wasmgate.lib.testdata
import data.wasmgate.policies.calico.networkpolicy as calico

_np(kind, ns, order) := testdata.review(kind, ns, "np", {
	"apiVersion": "crd.projectcalico.org/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "np", "namespace": ns},
	"spec": {"order": order, "selector": "all()"},
})

_order_violations(kind, ns, order) := vs if {
	vs := testdata.of(calico.violations, "calico.order") with input as _np(kind, ns, order)
}

test_order_above_threshold_allowed if {
	count(_order_violations("CalicoNetworkPolicy", "app-a", 1001)) == 0
	count(_order_violations("CalicoNetworkPolicy", "app-a", 1000.5)) == 0
}

test_order_at_threshold_denied if {
	vs := _order_violations("CalicoNetworkPolicy", "app-a", 1000)
	count(vs) == 1
	some v in vs
	v.path == "spec.order"
	v.message == "NetworkPolicy app-a/np: spec.order 1000 is not greater than 1000, so the policy could take precedence over the cluster's network policies; set spec.order above 1000 or remove it"
}

test_order_below_threshold_denied if {
	count(_order_violations("CalicoNetworkPolicy", "app-a", 999.99)) == 1
	count(_order_violations("CalicoNetworkPolicy", "app-a", 0)) == 1
	count(_order_violations("CalicoNetworkPolicy", "app-a", -5)) == 1
}

test_projectcalico_org_group_covered if {
	count(_order_violations("CalicoNetworkPolicyV3", "app-a", 100)) == 1
}

test_kubernetes_network_policy_not_affected if {
	count(_order_violations("K8sNetworkPolicy", "app-a", 100)) == 0
}

test_system_namespace_exempt if {
	count(_order_violations("CalicoNetworkPolicy", "ingress", 1000)) == 0
	count(_order_violations("CalicoNetworkPolicy", "kube-system", 1)) == 0
}

test_missing_or_null_order_allowed if {
	inp := testdata.review("CalicoNetworkPolicy", "app-a", "np", {"spec": {"selector": "all()"}})
	count(calico.violations) == 0 with input as inp
	count(_order_violations("CalicoNetworkPolicy", "app-a", null)) == 0
	inp2 := testdata.review("CalicoNetworkPolicy", "app-a", "np", {"metadata": {"name": "np"}})
	count(calico.violations) == 0 with input as inp2
}

test_non_numeric_order_denied if {
	vs := _order_violations("CalicoNetworkPolicy", "app-a", "2000")
	count(vs) == 1
	some v in vs
	contains(v.message, "spec.order 2000 is not a number (string)")
	count(_order_violations("CalicoNetworkPolicy", "app-a", true)) == 1
}

test_update_checked_delete_not if {
	inp := testdata.review_with("CalicoNetworkPolicy", "app-a", "np", {"spec": {"order": 10}}, {"operation": "UPDATE"})
	count(calico.violations) == 1 with input as inp
	del := testdata.review_with("CalicoNetworkPolicy", "app-a", "np", null, {"operation": "DELETE", "oldObject": {"spec": {"order": 10}}})
	count(calico.violations) == 0 with input as del
}

test_namespace_threshold_overrides if {
	cfg := object.union(data.config, {"calico": {"namespaceThresholds": {"monitoring": 2000, "legacy": 100}}})
	count(_order_violations("CalicoNetworkPolicy", "monitoring", 1500)) == 1 with data.config as cfg
	count(_order_violations("CalicoNetworkPolicy", "monitoring", 2000.5)) == 0 with data.config as cfg
	count(_order_violations("CalicoNetworkPolicy", "legacy", 500)) == 0 with data.config as cfg
	count(_order_violations("CalicoNetworkPolicy", "app-a", 1000)) == 1 with data.config as cfg
}

_global(kind, op, user, groups) := testdata.review_with(kind, "", "ingress-all-deny", {"spec": {"order": 10000}}, {
	"operation": op,
	"userInfo": {"username": user, "groups": groups},
})

test_global_kinds_admin_only if {
	vs := calico.violations with input as _global("GlobalNetworkPolicy", "CREATE", "alice", ["system:authenticated"])
	count(vs) == 1
	some v in vs
	v.policy == "calico.global"
	not v.path
	v.message == `GlobalNetworkPolicy ingress-all-deny: user "alice" may not create a GlobalNetworkPolicy: cluster-wide Calico resources are reserved to cluster admins; ask an admin to make the change`
	count(calico.violations) == 1 with input as _global("GlobalNetworkSet", "DELETE", "alice", [])
	count(calico.violations) == 1 with input as _global("GlobalNetworkPolicy", "UPDATE", "alice", ["dev"])
}

test_global_kinds_allowed_for_admins if {
	count(calico.violations) == 0 with input as _global("GlobalNetworkPolicy", "CREATE", "admin", ["system:masters"])
	count(calico.violations) == 0 with input as _global("GlobalNetworkSet", "DELETE", "system:kube-controller-manager", [])
	count(calico.violations) == 0 with input as _global("GlobalNetworkPolicy", "UPDATE", "system:serviceaccount:kube-system:calico", ["system:serviceaccounts:kube-system"])
	count(calico.violations) == 0 with input as _global("GlobalNetworkPolicy", "CONNECT", "alice", [])
}

test_config_errors if {
	count(calico.config_errors) == 0
	errs := calico.config_errors with data.config as testdata.config_with("calico", {"orderThreshold": "1000", "namespaceThresholds": {"a": "x"}, "order": 1})
	errs == {
		"config.calico.orderThreshold must be a number, got string",
		"config.calico.namespaceThresholds.a must be a number, got string",
		"config.calico has unknown key \"order\" (known: namespaceThresholds, orderThreshold)",
	}
	errs2 := calico.config_errors with data.config as testdata.config_with("calico", {"namespaceThresholds": []})
	errs2 == {"config.calico.orderThreshold is required", "config.calico.namespaceThresholds must be an object, got array"}
}
