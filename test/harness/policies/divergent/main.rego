# Deliberately divergent: the violations come from iterating a set, whose order OPA's topdown
# evaluator sorts and the WebAssembly build does not. The parity checks must catch it.
package wasmgate.main

_words := {w | some w in input.request.object.data.words}

decision := {"allowed": true, "violations": [{"policy": "words", "action": "warn", "message": w} | some w in _words]}

config_errors := set()

# The same flaw in a mutation: a Pod's spec.words become a label in set order.
_pod_words := {w | some w in input.request.object.spec.words}

mutation := {"patch": [{"op": "add", "path": "/metadata/labels", "value": {"words": concat(",", [w | some w in _pod_words])}}], "profile": null} if {
	input.request.object.kind == "Pod"
} else := {"patch": [], "profile": null}
