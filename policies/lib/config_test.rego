package wasmgate.lib.config_test

import data.wasmgate.lib.config
import data.wasmgate.lib.testdata

test_shipped_data_is_valid if {
	config.errors == set()
}

test_namespace_name if {
	every ns in ["a", "0", "kube-system", "a--b", "a1"] {
		config.namespace_name(ns)
	}
	every ns in ["", "-", "-a", "a-", "Kube-system", "a_b", "a.b", "é", "a "] {
		not config.namespace_name(ns)
	}
}

test_defaults if {
	config.system_namespaces == {"kube-system", "ingress", "internet-egress"}
	config.admin_users == {"system:kube-controller-manager", "system:kube-scheduler"}
	config.admin_groups == {
		"system:masters", "system:nodes",
		"system:serviceaccounts:kube-system", "system:serviceaccounts:ingress", "system:serviceaccounts:internet-egress",
	}
	config.enforcement == {}
	config.section("nope") == {}
}

test_optional_keys if {
	cfg := object.remove(data.config, ["enforcement", "limits"])
	config.errors == set() with data.config as cfg
	admins := testdata.config_with("admins", {})
	config.errors == set() with data.config as admins
	config.admin_groups == {
		"system:serviceaccounts:kube-system", "system:serviceaccounts:ingress", "system:serviceaccounts:internet-egress",
	} with data.config as admins
}

test_not_an_object if {
	config.errors == {
		"config must be an object (data.config is missing or not an object)",
		"config.systemNamespaces is required",
		"config.admins is required",
	} with data.config as []
}

test_wrong_types if {
	cfg := object.union(data.config, {"systemNamespaces": "kube-system", "enforcement": []})
	config.errors == {
		"config.systemNamespaces must be an array, got string",
		"config.enforcement must be an object, got array",
	} with data.config as cfg
}

test_system_namespaces_entries if {
	cfg := testdata.config_with("systemNamespaces", ["kube-system", "", 7, "Kube_System"])
	config.errors == {
		"config.systemNamespaces[1] must be a non-empty string, got an empty string",
		"config.systemNamespaces[2] must be a non-empty string, got number",
		`config.systemNamespaces[3] "Kube_System" is not a valid namespace name`,
	} with data.config as cfg
}

test_admins_entries if {
	cfg := testdata.config_with("admins", {"users": "root", "groups": [1], "systemNamespaceServiceAccounts": "yes", "user": []})
	config.errors == {
		"config.admins.users must be an array of strings, got string",
		"config.admins.groups[0] must be a non-empty string, got number",
		"config.admins.systemNamespaceServiceAccounts must be a boolean, got string",
		`config.admins has unknown key "user" (known: groups, systemNamespaceServiceAccounts, users)`,
	} with data.config as cfg
}

test_enforcement_values if {
	cfg := testdata.config_with("enforcement", {"registries": "audit", "limits": true})
	config.errors == {
		"config.enforcement.registries must be one of deny, warn, dryrun, got audit",
		"config.enforcement.limits must be one of deny, warn, dryrun, got true",
	} with data.config as cfg
}
