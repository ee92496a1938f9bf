package wasmgate.main_test

import data.wasmgate.main

words := ["zeta", "alpha", "mu", "beta", "omega", "gamma", "delta"]

# OPA passes this (it sorts sets); the WASM engine iterates in another order.
test_first_word_is_alpha if {
	d := main.decision with input as {"request": {"object": {"data": {"words": words}}}}
	d.violations[0].message == "alpha"
}

test_every_word_reported if {
	d := main.decision with input as {"request": {"object": {"data": {"words": words}}}}
	count(d.violations) == 7
}
