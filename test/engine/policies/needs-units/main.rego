package wasmgate.main

decision := {"allowed": true, "violations": [], "bytes": units.parse(input.q)}

config_errors := set()

mutation := {"patch": [], "profile": null}
