package wasmgate.policies.images.digest_test

import data.wasmgate.policies.images.digest

test_regular_and_init if {
	found := digest.violations with input as {"request": {"object": {"spec": {"containers": [{"name": "a", "image": "x"}], "initContainers": [{"name": "b", "image": "y"}]}}}}
	{v.policy | some v in found} == {"images.digest", "images.digest.init"}
}

test_pinned if {
	count(digest.violations) == 0 with input as {"request": {"object": {"spec": {"containers": [{"name": "a", "image": "x@sha256:0"}]}}}}
}
