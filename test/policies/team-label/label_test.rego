package wasmgate.policies.team.label_test

import data.wasmgate.lib.testdata
import data.wasmgate.policies.team.label

_deployment := testdata.deployment("app-a", testdata.pod_spec([testdata.container("web")]))

test_unlabelled_deployment_warns if {
	[v.policy | some v in label.violations] == ["team.label"] with input as _deployment
}

test_labelled_deployment if {
	labelled := object.union(_deployment, {"request": {"object": {"metadata": {"labels": {"team": "web"}}}}})
	count(label.violations) == 0 with input as labelled
}
