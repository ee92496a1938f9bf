# METADATA
# title: The review's envelope, for the host
# description: |
#   Compiled into every bundle beside the policies (not one of them): the
#   webhook's answer and log need the AdmissionReview's apiVersion, its
#   request's uid, kind, operation, user and names, not the objects, which are
#   most of its bytes. The host evaluates this on the input the WASM module has
#   already parsed for the decision, instead of parsing the body in JavaScript
#   too. The objects keep only their metadata's name and generateName.
package wasmgate.host

envelope := object.union(object.remove(input, ["request"]), {"request": _request}) if {
	is_object(input)
	is_object(input.request)
} else := input if is_object(input)

_request := object.union(object.remove(input.request, ["object", "oldObject"]), {k: _stub(v) |
	some k in ["object", "oldObject"]
	v := input.request[k]
})

_stub(v) := {"metadata": object.filter(v.metadata, ["name", "generateName"])} if {
	is_object(v)
	is_object(v.metadata)
} else := {} if {
	is_object(v)
} else := v
