# config.scope in the entrypoints: the decision drops the findings of policies
# scoped away from the request, config_errors reports config.scope, and the
# mutation follows the scope of the family pod-security.
package wasmgate.main_scope_test

import data.wasmgate.lib.testdata
import data.wasmgate.main

# Two findings: registries (docker.io) and limits.request-exceeds-limit.
_bad_deployment(ns) := testdata.deployment(ns, testdata.pod_spec([testdata.container_with("web", {
	"image": "nginx:1.27",
	"resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"memory": "2Gi"}},
})]))

_scoped(s) := testdata.config_with("scope", s)

test_shipped_scope_changes_nothing if {
	d := main.decision with input as _bad_deployment("app-a")
	testdata.policies(testdata.shipped(d.violations)) == {"registries", "limits.request-exceeds-limit"}
	without := main.decision with data.config as object.remove(data.config, ["scope"]) with input as _bad_deployment("app-a")
	without == d
	empty := main.decision with data.config as _scoped({}) with input as _bad_deployment("app-a")
	empty == d
}

test_exception_drops_one_policy_for_one_object if {
	cfg := _scoped({"registries": {"exceptions": [{"namespace": "app-a", "name": "web"}]}})
	d := main.decision with input as _bad_deployment("app-a") with data.config as cfg
	d.allowed == false
	[v.policy | some v in testdata.shipped(d.violations)] == ["limits.request-exceeds-limit"]

	# The same object elsewhere is still checked.
	other := main.decision with input as _bad_deployment("app-b") with data.config as cfg
	testdata.policies(testdata.shipped(other.violations)) == {"registries", "limits.request-exceeds-limit"}
}

test_excluded_family_and_enforcement_together if {
	cfg := object.union(_scoped({"limits": {"excludedNamespaces": ["app-*"]}}), {"enforcement": {"registries": "warn"}})
	d := main.decision with input as _bad_deployment("app-a") with data.config as cfg
	d.allowed == true
	testdata.shipped(d.violations) == [{
		"policy": "registries",
		"action": "warn",
		"path": "spec.template.spec.containers[0].image",
		"message": `Deployment app-a/web: container "web" image "nginx:1.27" comes from docker.io, which is not an allowed registry (allowed: quay.io/cybozu, ghcr.io/cybozu, ghcr.io/cybozu-go, registry.k8s.io); use an image from an allowed registry`,
	}]
}

# bounds runs before everything and is not scoped (it is not a key config.scope knows).
test_bounds_not_scoped if {
	errs := main.config_errors with data.config as _scoped({"bounds": {"excludedNamespaces": ["app-a"]}})
	some e in errs
	startswith(e, `config.scope has unknown policy "bounds" (known: `)
}

test_invalid_scope_fails_closed if {
	cfg := _scoped({"registries": {"exceptions": [{"namespace": "app-a", "name": "w*b"}]}})
	main.config_errors == {`config.scope.registries.exceptions[0].name "w*b" has "*" in a wrong place: a name is exact or a prefix followed by one "*" at the end`} with data.config as cfg
	d := main.decision with input as _bad_deployment("app-a") with data.config as cfg
	d.allowed == false
	some v in d.violations
	v.policy == "config"
	contains(v.message, `config.scope.registries.exceptions[0].name "w*b"`)

	main.config_errors == {"config.scope must be an object, got array"} with data.config as _scoped([])
}

_bare_pod(ns) := testdata.pod(ns, {"serviceAccountName": "web", "containers": [{"name": "web", "image": "quay.io/cybozu/ubuntu:22.04", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]})

test_mutation_follows_the_pod_security_family_scope if {
	m := main.mutation with input as _bare_pod("app-a")
	m.profile == "restricted"

	# Scoped away: no defaulting either (the pod would otherwise be changed by a policy that does not apply to it).
	main.mutation == {"patch": [], "profile": null} with input as _bare_pod("app-a") with data.config as _scoped({"pod-security": {"excludedNamespaces": ["app-a"]}})
	d := main.decision with input as _bare_pod("app-a") with data.config as _scoped({"pod-security": {"excludedNamespaces": ["app-a"]}})
	d.allowed == true

	# One rule scoped away: the family still defaults the pod.
	main.mutation == m with input as _bare_pod("app-a") with data.config as _scoped({"pod-security.run-as-non-root": {"excludedNamespaces": ["app-a"]}})
}
