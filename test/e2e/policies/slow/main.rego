package wasmgate.main

# A policy slower than any deadline, for objects labelled e2e.wasmgate.io/slow only (so its self-check
# at load, on a sample review without that label, passes): about 10^10 steps of busy work in O(n)
# memory. The e2e suite shows that wasmgate gives up at its own deadline and denies, before the API
# server's timeout.

decision := {"allowed": count(spun) == 0, "violations": [{"policy": "slow", "message": sprintf("spun %d", [count(spun)]), "action": "deny"}]} if slow

decision := {"allowed": true, "violations": []} if not slow

slow if input.request.object.metadata.labels["e2e.wasmgate.io/slow"]

spin_range := numbers.range(1, 100000)

spun := [i |
	some i in spin_range
	some j in spin_range
	i == j
]

config_errors := set()

# Every wasmgate policy has the mutation entrypoint once the mutating webhook lands (issue 10);
# this one defaults nothing.
mutation := {"patch": [], "profile": null}
