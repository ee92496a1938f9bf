package wasmgate.policies.bounds.size_test

import data.wasmgate.lib.testdata
import data.wasmgate.main
import data.wasmgate.policies.bounds.size as bounds

_caps(n) := [sprintf("CAP_%d", [i]) | some i in numbers.range(1, n)]

_with_caps(n) := testdata.deployment("app-a", testdata.pod_spec([testdata.container_with("web", {"securityContext": {"capabilities": {"drop": ["ALL"], "add": _caps(n)}}})]))

_pod_with_containers(n) := testdata.deployment("app-a", testdata.pod_spec([testdata.container(sprintf("c%d", [i])) | some i in numbers.range(1, n)]))

test_within_bounds if {
	count(bounds.violations) == 0 with input as _with_caps(63)
	count(bounds.violations) == 0 with input as _pod_with_containers(64)
}

test_too_many_capabilities_is_the_only_finding if {
	d := main.decision with input as _with_caps(64)
	d == {"allowed": false, "violations": [{
		"policy": "bounds",
		"action": "deny",
		"path": "spec.template.spec.containers[0].securityContext.capabilities",
		"message": `Deployment app-a/web: container "web" lists 65 capabilities, more than config.bounds.maxCapabilities (64), so no other policy checked it; list each capability once`,
	}]}
}

test_too_many_containers if {
	vs := bounds.violations with input as _pod_with_containers(65)
	vs == {{
		"policy": "bounds",
		"path": "spec.template.spec",
		"message": "Deployment app-a/web: the pod spec has 65 containers, more than config.bounds.maxContainers (64), so no other policy checked it; split it or raise the bound",
	}}
}

test_bounds_are_data if {
	cfg := object.union(data.config, {"bounds": {"maxCapabilities": 2, "maxContainers": 1}})
	count(bounds.violations) == 1 with input as _with_caps(2) with data.config as cfg
	count(bounds.violations) == 1 with input as _pod_with_containers(2) with data.config as cfg
	count(bounds.violations) == 0 with input as _with_caps(1) with data.config as cfg
}

test_within_bounds_the_other_policies_decide if {
	d := main.decision with input as _with_caps(3)
	d.allowed == false
	{v.policy | some v in d.violations; v.action == "deny"} == {"pod-security.capabilities"}
}

test_config_errors if {
	cfg := object.union(data.config, {"bounds": {"maxCapabilities": 0, "maxContainers": 1.5, "other": 1}})
	bounds.config_errors == {
		"config.bounds.maxCapabilities must be a whole number of at least 1, got 0",
		"config.bounds.maxContainers must be a whole number of at least 1, got 1.5",
		`config.bounds has unknown key "other" (known: maxCapabilities, maxContainers)`,
	} with data.config as cfg
	count(bounds.config_errors) == 0 with data.config as object.union(data.config, {"bounds": {"maxCapabilities": 10}})
}

test_unnamed_container_label if {
	inp := testdata.deployment("app-a", testdata.pod_spec([{"securityContext": {"capabilities": {"add": _caps(65)}}}]))
	vs := bounds.violations with input as inp
	[v.message | some v in vs] == ["Deployment app-a/web: container containers[0] lists 65 capabilities, more than config.bounds.maxCapabilities (64), so no other policy checked it; list each capability once"]
}
