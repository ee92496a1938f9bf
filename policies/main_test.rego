package wasmgate.main_test

import data.wasmgate.lib.testdata
import data.wasmgate.main

_bad_deployment := testdata.deployment("app-a", testdata.pod_spec([testdata.container_with("web", {
	"image": "nginx:1.27",
	"resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"memory": "2Gi"}},
})]))

test_decision_defined_for_any_input if {
	main.decision == {"allowed": true, "violations": []} with input as {}
	main.decision == {"allowed": true, "violations": []} with input as {"request": "x"}
	main.decision == {"allowed": true, "violations": []} with input as []
	main.decision == {"allowed": true, "violations": []} with input as {"request": {"kind": 1, "object": "x", "userInfo": 3}}

	# A pod nobody may create (no user, no service account) has no usable PodSecurityPolicy.
	d := main.decision with input as {"request": {"kind": {"kind": "Pod"}, "operation": "CREATE", "object": {"spec": {"containers": "x"}}}}
	d.allowed == false
	[v.policy | some v in d.violations] == ["pod-security.policy"]
}

test_compliant_deployment_allowed if {
	main.decision == {"allowed": true, "violations": []} with input as testdata.deployment("app-a", testdata.pod_spec([testdata.container("web")]))
}

test_decision_shape_and_order if {
	d := main.decision with input as _bad_deployment
	d.allowed == false
	d.violations == [
		{
			"policy": "limits.request-exceeds-limit",
			"action": "deny",
			"path": "spec.template.spec.containers[0].resources.requests.memory",
			"message": `Deployment app-a/web: container "web" requests memory "2Gi", more than its limit "1Gi"; lower the request to at most the limit`,
		},
		{
			"policy": "registries",
			"action": "deny",
			"path": "spec.template.spec.containers[0].image",
			"message": `Deployment app-a/web: container "web" image "nginx:1.27" comes from docker.io, which is not an allowed registry (allowed: quay.io/cybozu, ghcr.io/cybozu, ghcr.io/cybozu-go, registry.k8s.io); use an image from an allowed registry`,
		},
	]
}

test_violation_without_path_has_no_path_key if {
	inp := testdata.review("ConfigMap", "kube-system", "x", {"metadata": {"name": "x"}})
	d := main.decision with input as inp
	d.allowed == false
	[v] := d.violations
	{k | some k, _ in v} == {"policy", "action", "message"}
}

test_enforcement_warn_and_dryrun if {
	cfg := testdata.config_with("enforcement", {"registries": "warn", "limits.request-exceeds-limit": "dryrun"})
	d := main.decision with input as _bad_deployment with data.config as cfg
	d.allowed == true
	{[v.policy, v.action] | some v in d.violations} == {["registries", "warn"], ["limits.request-exceeds-limit", "dryrun"]}
}

test_enforcement_family_and_exact_id if {
	cfg := testdata.config_with("enforcement", {"limits": "warn", "limits.request-exceeds-limit": "deny"})
	d := main.decision with input as _bad_deployment with data.config as cfg
	d.allowed == false
	{[v.policy, v.action] | some v in d.violations} == {["registries", "deny"], ["limits.request-exceeds-limit", "deny"]}
}

test_config_errors_empty_for_shipped_data if {
	main.config_errors == set()
}

test_invalid_config_fails_closed if {
	cfg := testdata.config_with("enforcement", {"registry": "warn", "limits": "off"})
	errs := main.config_errors with data.config as cfg
	errs == {
		"config.enforcement.limits must be one of deny, warn, dryrun, got off",
		`config.enforcement has unknown policy "registry" (known: calico, calico.global, calico.order, limits, limits.invalid, limits.maximum, limits.missing, limits.request-exceeds-limit, pod-security, pod-security.apparmor, pod-security.capabilities, pod-security.fs-group, pod-security.host-namespaces, pod-security.host-ports, pod-security.policy, pod-security.privilege-escalation, pod-security.privileged, pod-security.proc-mount, pod-security.read-only-root-filesystem, pod-security.run-as-group, pod-security.run-as-non-root, pod-security.run-as-user, pod-security.runtime-class, pod-security.seccomp, pod-security.selinux, pod-security.supplemental-groups, pod-security.sysctls, pod-security.volumes, registries, registries.digest, system-namespaces)`,
	}
	d := main.decision with input as {} with data.config as cfg
	d.allowed == false
	[v] := d.violations
	v.policy == "config"
	v.action == "deny"
	startswith(v.message, "wasmgate configuration is invalid, so every request is denied: config.enforcement has unknown policy")
}

test_missing_config if {
	errs := main.config_errors with data.config as "oops"
	"config must be an object (data.config is missing or not an object)" in errs
	"config.systemNamespaces is required" in errs
	d := main.decision with input as {} with data.config as "oops"
	d.allowed == false
}

test_every_violation_reported if {
	d := main.decision with input as testdata.deployment("app-a", testdata.pod_spec([
		testdata.container_with("a", {"image": "nginx"}),
		testdata.container_with("b", {"image": "busybox", "securityContext": {"privileged": true}}),
	]))
	count(d.violations) == 3
}

test_mutation_defined_for_any_input if {
	main.mutation == {"patch": [], "profile": null} with input as {}
}

# The decision knows a policy package only through its METADATA (read with
# `metadata := rego.metadata.chain()`): each needs a custom.id and a valid custom.action.
# Test packages (wasmgate.policies.<family>.<name>_test) exist only in opa test.
test_every_policy_declares_its_metadata if {
	undeclared := {[f, n] | some f, n; data.wasmgate.policies[f][n]; not endswith(n, "_test"); not _declared(f, n)}
	undeclared == set()
}

_declared(f, n) if {
	is_string(main.policies[[f, n]].id)
	main.policies[[f, n]].action in {"deny", "warn", "dryrun"}
}

test_metadata_gives_ids_and_default_actions if {
	main.policies[["calico", "networkpolicy"]].id == "calico"
	{"calico", "calico.order", "calico.global"} - main.policy_ids == set()
}
