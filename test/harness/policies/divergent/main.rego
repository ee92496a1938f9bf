# Deliberately divergent: the violations come from iterating a set, whose order OPA's topdown
# evaluator sorts and the WebAssembly build does not. The parity checks must catch it.
package wasmgate.main

_words := {w | some w in input.request.object.data.words}

decision := {"allowed": true, "violations": [{"policy": "words", "action": "warn", "message": w} | some w in _words]}

config_errors := set()

mutation := {"patch": [], "profile": null}
