package wasmgate.main_test

import data.wasmgate.main

_deployment(labels, image) := {"request": {
	"kind": {"kind": "Deployment"},
	"object": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "a", "image": image}]}},
}}

test_a_deny_finding_denies if {
	d := main.decision with input as _deployment({"team": "a"}, "x")
	not d.allowed
	[v.policy | some v in d.violations] == ["images.digest"]
}

test_enforcement_sets_the_action if {
	d := main.decision with input as _deployment({}, "x@sha256:0") with data.config.enforcement as {"labels.team": "warn"}
	d.allowed
	d.violations == [{"policy": "labels.team", "action": "warn", "message": "the Deployment has no label team: add metadata.labels.team", "path": "metadata.labels"}]
}

test_no_config_errors_nor_mutation if {
	count(main.config_errors) == 0
	main.mutation == {"patch": [], "profile": null}
}
