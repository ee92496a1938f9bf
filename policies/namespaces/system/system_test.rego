package wasmgate.policies.namespaces.system_test

import data.wasmgate.lib.testdata
import data.wasmgate.policies.namespaces.system as namespaces

_cm(ns, op, user, groups) := testdata.review_with("ConfigMap", ns, "settings", {"metadata": {"name": "settings", "namespace": ns}}, {
	"operation": op,
	"userInfo": {"username": user, "groups": groups},
})

_ns(name, op, user, groups) := testdata.review_with("Namespace", name, name, {"metadata": {"name": name}}, {
	"operation": op,
	"userInfo": {"username": user, "groups": groups},
})

test_non_admin_denied_in_system_namespaces if {
	every ns in ["kube-system", "ingress", "internet-egress"] {
		every op in ["CREATE", "UPDATE", "DELETE"] {
			count(namespaces.violations) == 1 with input as _cm(ns, op, "alice", ["system:authenticated"])
		}
	}
}

test_message if {
	vs := namespaces.violations with input as _cm("kube-system", "DELETE", "alice", [])
	vs == {{
		"policy": "system-namespaces",
		"message": `ConfigMap kube-system/settings: user "alice" may not delete objects in the system namespace "kube-system" (system namespaces: ingress, internet-egress, kube-system); only cluster admins may change them`,
	}}
}

test_other_namespaces_and_operations_allowed if {
	count(namespaces.violations) == 0 with input as _cm("app-a", "CREATE", "alice", [])
	count(namespaces.violations) == 0 with input as _cm("kube-public", "DELETE", "alice", [])
	count(namespaces.violations) == 0 with input as _cm("kube-system", "CONNECT", "alice", [])
}

test_default_admins_allowed if {
	count(namespaces.violations) == 0 with input as _cm("kube-system", "UPDATE", "bob", ["system:masters"])
	count(namespaces.violations) == 0 with input as _cm("kube-system", "UPDATE", "system:node:n1", ["system:nodes"])
	count(namespaces.violations) == 0 with input as _cm("kube-system", "UPDATE", "system:kube-controller-manager", [])
	count(namespaces.violations) == 0 with input as _cm("kube-system", "UPDATE", "system:kube-scheduler", [])
	count(namespaces.violations) == 0 with input as _cm("ingress", "UPDATE", "system:serviceaccount:ingress:contour", ["system:serviceaccounts", "system:serviceaccounts:ingress"])
}

test_service_accounts_of_other_namespaces_are_not_admins if {
	count(namespaces.violations) == 1 with input as _cm("ingress", "UPDATE", "system:serviceaccount:app-a:ci", ["system:serviceaccounts", "system:serviceaccounts:app-a"])
}

test_configured_admins if {
	cfg := testdata.config_with("admins", {"users": ["argocd"], "groups": ["platform"], "systemNamespaceServiceAccounts": false})
	count(namespaces.violations) == 0 with input as _cm("kube-system", "CREATE", "argocd", []) with data.config as cfg
	count(namespaces.violations) == 0 with input as _cm("kube-system", "CREATE", "carol", ["platform"]) with data.config as cfg
	count(namespaces.violations) == 1 with input as _cm("kube-system", "CREATE", "bob", ["system:masters"]) with data.config as cfg
	count(namespaces.violations) == 1 with input as _cm("kube-system", "CREATE", "sa", ["system:serviceaccounts:kube-system"]) with data.config as cfg
}

test_configured_system_namespaces if {
	cfg := testdata.config_with("systemNamespaces", ["platform"])
	count(namespaces.violations) == 1 with input as _cm("platform", "CREATE", "alice", []) with data.config as cfg
	count(namespaces.violations) == 0 with input as _cm("kube-system", "CREATE", "alice", []) with data.config as cfg
}

test_system_namespace_objects if {
	vs := namespaces.violations with input as _ns("kube-system", "DELETE", "alice", [])
	vs == {{
		"policy": "system-namespaces",
		"message": `Namespace kube-system: user "alice" may not delete the system namespace "kube-system"; only cluster admins may change it`,
	}}
	count(namespaces.violations) == 1 with input as _ns("ingress", "UPDATE", "alice", [])
	count(namespaces.violations) == 0 with input as _ns("ingress", "CREATE", "alice", [])
	count(namespaces.violations) == 0 with input as _ns("app-a", "DELETE", "alice", [])
	count(namespaces.violations) == 0 with input as _ns("kube-system", "DELETE", "bob", ["system:masters"])
}

test_delete_uses_old_object if {
	inp := {"request": {
		"kind": {"group": "", "version": "v1", "kind": "Secret"},
		"operation": "DELETE",
		"userInfo": {"username": "alice"},
		"oldObject": {"metadata": {"name": "token", "namespace": "kube-system"}},
	}}
	vs := namespaces.violations with input as inp
	count(vs) == 1
	some v in vs
	startswith(v.message, "Secret kube-system/token: ")
}
