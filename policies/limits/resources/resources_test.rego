package wasmgate.policies.limits.resources_test

import data.wasmgate.lib.testdata
import data.wasmgate.policies.limits.resources as limits

_with_resources(resources) := testdata.deployment("app-a", testdata.pod_spec([object.union(
	object.remove(testdata.container("web"), ["resources"]),
	{"resources": resources},
)]))

_violations(resources) := vs if {
	vs := limits.violations with input as _with_resources(resources)
}

test_compliant if {
	count(_violations({"limits": {"cpu": "500m", "memory": "256Mi"}})) == 0
	count(_violations({"limits": {"cpu": 1, "memory": "1Gi"}, "requests": {"cpu": 0.5, "memory": "512Mi"}})) == 0
}

test_missing_limits if {
	vs := _violations({"requests": {"cpu": "100m"}})
	vs == {
		{
			"policy": "limits.missing",
			"path": "spec.template.spec.containers[0].resources.limits.cpu",
			"message": `Deployment app-a/web: container "web" does not set resources.limits.cpu; set a cpu limit (for example cpu: "500m")`,
		},
		{
			"policy": "limits.missing",
			"path": "spec.template.spec.containers[0].resources.limits.memory",
			"message": `Deployment app-a/web: container "web" does not set resources.limits.memory; set a memory limit (for example memory: "256Mi")`,
		},
	}
	count(_violations({"limits": {"cpu": "1"}})) == 1
	count(_violations({"limits": {"cpu": "1", "memory": null}})) == 1
	inp := testdata.deployment("app-a", testdata.pod_spec([object.remove(testdata.container("web"), ["resources"])]))
	count(limits.violations) == 2 with input as inp
}

test_init_containers_checked_ephemeral_not if {
	spec := object.union(testdata.pod_spec([testdata.container("web")]), {
		"initContainers": [object.remove(testdata.container("init"), ["resources"])],
		"ephemeralContainers": [object.remove(testdata.container("debug"), ["resources"])],
	})
	vs := limits.violations with input as testdata.pod("app-a", spec)
	{v.path | some v in vs} == {"spec.initContainers[0].resources.limits.cpu", "spec.initContainers[0].resources.limits.memory"}
}

test_request_equal_to_limit_allowed if {
	count(_violations({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1000m", "memory": "1024Mi"}})) == 0
	count(_violations({"limits": {"cpu": "100m", "memory": "1Gi"}, "requests": {"cpu": "0.1", "memory": "1073741824"}})) == 0
	count(_violations({"limits": {"cpu": "1e3", "memory": "1G"}, "requests": {"cpu": 1000, "memory": "1000M"}})) == 0
}

test_request_above_limit_denied if {
	vs := _violations({"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "0.501", "memory": "1025Mi"}})
	vs == {
		{
			"policy": "limits.request-exceeds-limit",
			"path": "spec.template.spec.containers[0].resources.requests.cpu",
			"message": `Deployment app-a/web: container "web" requests cpu "0.501", more than its limit "500m"; lower the request to at most the limit`,
		},
		{
			"policy": "limits.request-exceeds-limit",
			"path": "spec.template.spec.containers[0].resources.requests.memory",
			"message": `Deployment app-a/web: container "web" requests memory "1025Mi", more than its limit "1Gi"; lower the request to at most the limit`,
		},
	}
	count(_violations({"limits": {"cpu": 1, "memory": "1G"}, "requests": {"cpu": 1.5, "memory": "1Gi"}})) == 2
	count(_violations({"limits": {"cpu": "1", "memory": "1G", "ephemeral-storage": "1Gi"}, "requests": {"ephemeral-storage": "2Gi"}})) == 1
}

test_invalid_quantities if {
	vs := _violations({"limits": {"cpu": "1 core", "memory": "12XB"}, "requests": {"cpu": "-1", "memory": true}})
	{v.path | some v in vs} == {
		"spec.template.spec.containers[0].resources.limits.cpu",
		"spec.template.spec.containers[0].resources.limits.memory",
		"spec.template.spec.containers[0].resources.requests.cpu",
		"spec.template.spec.containers[0].resources.requests.memory",
	}
	{v.policy | some v in vs} == {"limits.invalid"}
	some v in vs
	v.message == `Deployment app-a/web: container "web" has an invalid resources.limits.memory quantity "12XB"; use a Kubernetes quantity such as 500m, 0.5, 256Mi or 1Gi`
	some w in vs
	w.message == `Deployment app-a/web: container "web" has an invalid resources.requests.memory quantity true; use a Kubernetes quantity such as 500m, 0.5, 256Mi or 1Gi`
}

test_maximum if {
	cfg := testdata.config_with("limits", {"maximum": {"cpu": "2", "memory": "4Gi"}})
	count(_violations({"limits": {"cpu": "2", "memory": "4096Mi"}})) == 0 with data.config as cfg
	vs := _violations({"limits": {"cpu": "2001m", "memory": "4.5Gi"}}) with data.config as cfg
	{v.policy | some v in vs} == {"limits.maximum"}
	some v in vs
	v.message == `Deployment app-a/web: container "web" sets resources.limits.cpu to "2001m", above the maximum "2"; lower the limit to at most "2"`
	v.path == "spec.template.spec.containers[0].resources.limits.cpu"
	count(vs) == 2
}

test_config_errors if {
	count(limits.config_errors) == 0
	errs := limits.config_errors with data.config as testdata.config_with("limits", {"maximum": {"cpu": "two", "mem": "1Gi"}, "max": {}})
	errs == {
		`config.limits has unknown key "max" (known: maximum)`,
		`config.limits.maximum has unknown key "mem" (known: cpu, memory)`,
		`config.limits.maximum.cpu "two" is not a valid quantity (use e.g. "4" or "8Gi")`,
	}
	errs2 := limits.config_errors with data.config as testdata.config_with("limits", {"maximum": ["4"]})
	errs2 == {"config.limits.maximum must be an object, got array"}
}
