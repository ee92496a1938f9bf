package wasmgate.lib.enforcement_test

import data.wasmgate.lib.enforcement
import data.wasmgate.lib.testdata

test_default_is_the_metadata_action if {
	enforcement.action("registries", "deny") == "deny"
	enforcement.action("team.label", "warn") == "warn"
	enforcement.action("team.label", "dryrun") == "dryrun"
	enforcement.action("team.label", "nonsense") == "deny"
}

test_config_overrides_the_metadata_action if {
	cfg := testdata.config_with("enforcement", {"team": "deny"})
	enforcement.action("team.label", "warn") == "deny" with data.config as cfg
}

test_exact_id_then_family if {
	cfg := testdata.config_with("enforcement", {"pod-security": "warn", "pod-security.volumes": "dryrun", "registries.digest": "warn"})
	enforcement.action("pod-security.volumes", "deny") == "dryrun" with data.config as cfg
	enforcement.action("pod-security.privileged", "deny") == "warn" with data.config as cfg
	enforcement.action("registries.digest", "deny") == "warn" with data.config as cfg
	enforcement.action("registries", "deny") == "deny" with data.config as cfg
}

test_invalid_value_counts_as_deny if {
	cfg := testdata.config_with("enforcement", {"registries": "off", "limits": "warning"})
	enforcement.action("registries", "deny") == "deny" with data.config as cfg
	enforcement.action("limits.missing", "deny") == "deny" with data.config as cfg
}

test_family if {
	enforcement.family("pod-security.host-ports") == "pod-security"
	enforcement.family("system-namespaces") == "system-namespaces"
}
