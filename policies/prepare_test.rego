package wasmgate.prepare_test

import data.wasmgate.lib.testdata
import data.wasmgate.main

_bare_spec := {"serviceAccountName": "web", "containers": [object.remove(testdata.container("web"), ["securityContext"])]}

_privileged_spec := testdata.pod_spec([testdata.container_with("web", {"securityContext": {"privileged": true}})])

# Reviews that reach every part of the prepared data: PSP selection and defaulting (Pods and
# templates, RBAC by user, group and service account), registries, limits, system namespaces,
# admins, enforcement.
_reviews := [
	testdata.deployment("app-a", testdata.pod_spec([testdata.container("web")])),
	testdata.deployment("app-a", _privileged_spec),
	testdata.deployment("app-a", testdata.pod_spec([testdata.container_with("web", {"image": "nginx:1.27"})])),
	testdata.pod("app-a", _bare_spec),
	testdata.pod("internet-egress", object.union(_bare_spec, {"serviceAccountName": "unbound"})),
	testdata.pod("wasmgate-system", _bare_spec),
	testdata.review("ConfigMap", "kube-system", "x", {"metadata": {"name": "x"}}),
	testdata.review_with("ConfigMap", "kube-system", "x", {"metadata": {"name": "x"}}, {"userInfo": {"username": "u", "groups": ["system:masters"]}}),
	testdata.review_with("Pod", "app-a", "web", {"metadata": {"name": "web"}, "spec": _privileged_spec}, {"userInfo": {"username": "u", "groups": ["system:masters"]}}),
]

# The decision and the mutation of every review, with data.config as cfg, computed (no
# data.prepared, as opa eval and opa test see it) and read from prepare's result.
_same_with_prepared(cfg) if {
	prepared := main.prepare with data.config as cfg
	every review in _reviews {
		computed := [main.decision, main.mutation] with input as review with data.config as cfg
		read := [main.decision, main.mutation] with input as review with data.config as cfg with data.prepared as prepared
		computed == read
	}
}

test_prepared_data_gives_the_same_answers if {
	_same_with_prepared(data.config)
}

test_prepared_data_gives_the_same_answers_with_enforcement_and_digests if {
	cfg := object.union(testdata.config_with("enforcement", {"registries": "warn", "pod-security": "dryrun"}), {"registries": object.union(data.config.registries, {"requireDigest": true})})
	_same_with_prepared(cfg)
}

test_prepared_data_gives_the_same_answers_without_admin_service_accounts if {
	_same_with_prepared(testdata.config_with("admins", {"users": ["u"], "groups": [], "systemNamespaceServiceAccounts": false}))
}

test_prepared_invalid_data_still_fails_closed if {
	cfg := testdata.config_with("calico", {"orderThreshold": "high"})
	prepared := main.prepare with data.config as cfg
	count(prepared.config_errors) > 0
	review := testdata.deployment("app-a", testdata.pod_spec([testdata.container("web")]))
	d := main.decision with input as review with data.config as cfg with data.prepared as prepared
	d.allowed == false
	[v.policy | some v in d.violations; v.action == "deny"] == ["config"]
	main.mutation == {"patch": [], "profile": null} with input as testdata.pod("app-a", _bare_spec) with data.config as cfg with data.prepared as prepared
	_same_with_prepared(cfg)
}

# The rules read data.prepared when it is there: prepared from other data, the decision follows it.
test_decisions_read_the_prepared_form if {
	review := testdata.deployment("app-a", testdata.pod_spec([testdata.container_with("web", {"image": "nginx:1.27"})]))
	prepared := main.prepare with data.config as testdata.config_with("registries", {"allowed": ["docker.io"]})
	d := main.decision with input as review with data.prepared as prepared
	not "registries" in {v.policy | some v in d.violations}
}
