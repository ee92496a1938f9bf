package wasmgate.main_test

import data.wasmgate.lib.testdata
import data.wasmgate.main

_bad_deployment := testdata.deployment("app-a", testdata.pod_spec([testdata.container_with("web", {
	"image": "nginx:1.27",
	"resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"memory": "2Gi"}},
})]))

# The tests below look at the deny findings only (or at the policies they are about), so that a
# warn or dryrun policy added to the set breaks none of them.
_denials(d) := [v | some v in d.violations; v.action == "deny"]

_allowed(d) if {
	d.allowed == true
	_denials(d) == []
}

test_decision_defined_for_any_input if {
	_allowed(main.decision) with input as {}
	_allowed(main.decision) with input as {"request": "x"}
	_allowed(main.decision) with input as []
	_allowed(main.decision) with input as {"request": {"kind": 1, "object": "x", "userInfo": 3}}

	# A pod nobody may create (no user, no service account) has no usable PodSecurityPolicy.
	d := main.decision with input as {"request": {"kind": {"kind": "Pod"}, "operation": "CREATE", "object": {"spec": {"containers": "x"}}}}
	d.allowed == false
	[v.policy | some v in _denials(d)] == ["pod-security.policy"]
}

test_compliant_deployment_allowed if {
	_allowed(main.decision) with input as testdata.deployment("app-a", testdata.pod_spec([testdata.container("web")]))
}

test_decision_shape_and_order if {
	d := main.decision with input as _bad_deployment
	d.allowed == false
	_denials(d) == [
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
	[v] := _denials(d)
	{k | some k, _ in v} == {"policy", "action", "message"}
}

test_enforcement_warn_and_dryrun if {
	cfg := testdata.config_with("enforcement", {"registries": "warn", "limits.request-exceeds-limit": "dryrun"})
	d := main.decision with input as _bad_deployment with data.config as cfg
	d.allowed == true
	{[v.policy, v.action] | some v in testdata.shipped(d.violations)} == {["registries", "warn"], ["limits.request-exceeds-limit", "dryrun"]}
}

test_enforcement_family_and_exact_id if {
	cfg := testdata.config_with("enforcement", {"limits": "warn", "limits.request-exceeds-limit": "deny"})
	d := main.decision with input as _bad_deployment with data.config as cfg
	d.allowed == false
	{[v.policy, v.action] | some v in testdata.shipped(d.violations)} == {["registries", "deny"], ["limits.request-exceeds-limit", "deny"]}
}

test_config_errors_empty_for_shipped_data if {
	main.config_errors == set()
}

test_invalid_config_fails_closed if {
	cfg := testdata.config_with("enforcement", {"registry": "warn", "limits": "off"})
	errs := main.config_errors with data.config as cfg
	"config.enforcement.limits must be one of deny, warn, dryrun, got off" in errs
	[unknown] := [e | some e in errs; startswith(e, `config.enforcement has unknown policy "registry" (known: `)]
	count(errs) == 2

	# The known ids and families, from the METADATA (bounds, a precheck, always denies).
	known := split(trim_suffix(split(unknown, "(known: ")[1], ")"), ", ")
	known == sort(known)
	{"calico", "calico.global", "limits.maximum", "pod-security", "pod-security.volumes", "registries.digest", "system-namespaces"} - {k | some k in known} == set()
	not "bounds" in known

	d := main.decision with input as {} with data.config as cfg
	d.allowed == false
	[v] := [v | some v in d.violations; v.policy == "config"]
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
	count(_denials(d)) == 3
}

test_mutation_defined_for_any_input if {
	main.mutation == {"patch": [], "profile": null} with input as {}
}

# The decision knows a policy package only through its METADATA (read with
# `metadata := rego.metadata.chain()`): each needs a custom.id and a valid custom.action.
test_every_policy_declares_its_metadata if {
	undeclared := {[f, n] | some [f, n] in _packages; not _declared(f, n)}
	undeclared == set()
}

# The packages with a rule the decision reads. Asking for those rules alone leaves the test packages
# (wasmgate.policies.<family>.<name>_test) unevaluated: evaluating whole packages ran every test again.
_packages contains [f, n] if data.wasmgate.policies[f][n].violations

_packages contains [f, n] if data.wasmgate.policies[f][n].mutation

_packages contains [f, n] if data.wasmgate.policies[f][n].config_errors

_declared(f, n) if {
	is_string(main.policies[[f, n]].id)
	main.policies[[f, n]].action in {"deny", "warn", "dryrun"}
}

test_metadata_gives_ids_and_default_actions if {
	main.policies[["calico", "networkpolicy"]].id == "calico"
	{"calico", "calico.order", "calico.global"} - main.policy_ids == set()
}

# The top-level keys come from the policies' METADATA (custom.data) and lib/config's shared ones.
test_config_sections_from_metadata if {
	{"admins", "bounds", "calico", "enforcement", "limits", "podSecurity", "registries", "systemNamespaces"} - main.config_sections == set()
	cfg := object.union(data.config, {"limits": [], "extra": true})
	errs := main.config_errors with data.config as cfg
	"config.limits must be an object, got array" in errs
	some msg in errs
	startswith(msg, `config has unknown key "extra" (known: `)
}

# Without its section a policy reports the keys it requires: the configuration still fails closed.
test_missing_policy_sections if {
	errs := main.config_errors with data.config as {"systemNamespaces": [], "admins": {}}
	{
		"config.calico.orderThreshold is required",
		"config.registries.allowed is required",
		"config.podSecurity.policies is required",
	} - errs == set()
}
