package wasmgate.lib.enforcement_test

import data.wasmgate.lib.enforcement
import data.wasmgate.lib.testdata

test_default_is_deny if {
	enforcement.action("registries") == "deny"
	enforcement.action("pod-security.volumes") == "deny"
}

test_exact_id_then_family if {
	cfg := testdata.config_with("enforcement", {"pod-security": "warn", "pod-security.volumes": "dryrun", "registries.digest": "warn"})
	enforcement.action("pod-security.volumes") == "dryrun" with data.config as cfg
	enforcement.action("pod-security.privileged") == "warn" with data.config as cfg
	enforcement.action("registries.digest") == "warn" with data.config as cfg
	enforcement.action("registries") == "deny" with data.config as cfg
}

test_invalid_value_counts_as_deny if {
	cfg := testdata.config_with("enforcement", {"registries": "off", "limits": "warning"})
	enforcement.action("registries") == "deny" with data.config as cfg
	enforcement.action("limits.missing") == "deny" with data.config as cfg
}

test_family if {
	enforcement.family("pod-security.host-ports") == "pod-security"
	enforcement.family("system-namespaces") == "system-namespaces"
}
