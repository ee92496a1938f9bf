package wasmgate.main

decision := {"allowed": true, "violations": [], "bytes": units.parse(input.q)}

config_errors := set()

# Every wasmgate policy has the mutation entrypoint; this one defaults nothing.
mutation := {"patch": [], "profile": null}
