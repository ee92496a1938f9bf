package wasmgate.policies.labels.team_test

import data.wasmgate.policies.labels.team

test_missing_label if {
	count(team.violations) == 1 with input as {"request": {"kind": {"kind": "Deployment"}, "object": {"metadata": {}}}}
}

test_label_present if {
	count(team.violations) == 0 with input as {"request": {"kind": {"kind": "Deployment"}, "object": {"metadata": {"labels": {"team": "a"}}}}}
}
