package wasmgate.main

# W2's trivial policy: every review allowed, nothing to default, no configuration to check. Served by
# `wasmgate serve` it measures the host path alone (TLS, HTTP, the worker hand-off, logging, metrics).

decision := {"allowed": true, "violations": []}

config_errors := set()

mutation := {"patch": [], "profile": null}
