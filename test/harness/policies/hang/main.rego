# A policy with a test that OPA's WebAssembly build never finishes: replace(s, "", "") loops forever
# there (topdown returns at once). The harness must fail that test by name, not hang.
package wasmgate.main

decision := {"allowed": true, "violations": []}

config_errors := set()

mutation := {"patch": [], "profile": null}

unchanged(s) := replace(s, "", "")
