# METADATA
# title: The review's envelope, for the host
# description: |
#   Compiled into every bundle beside the policies (not one of them): the
#   webhook's answer and log need the AdmissionReview's apiVersion and kind and
#   its request's uid, kind, operation, user name, namespace, names,
#   subResource and dryRun, not the objects, which are most of its bytes. The
#   host evaluates this on the input the WASM module has already parsed for the
#   decision, instead of parsing the body in JavaScript too. It holds those
#   fields only (each one as the review has it, absent when the review has
#   none): the objects keep only their metadata's name and generateName, and
#   userInfo its username.
package wasmgate.host

envelope := object.union(object.filter(input, ["apiVersion", "kind"]), {"request": _request}) if {
	is_object(input)
	is_object(input.request)
} else := object.filter(input, ["apiVersion", "kind", "request"]) if is_object(input)

_request := object.union(object.filter(input.request, ["uid", "kind", "operation", "namespace", "name", "subResource", "dryRun"]), object.union(
	{k: _stub(v) | some k in ["object", "oldObject"]; v := input.request[k]},
	{"userInfo": _user(u) | u := input.request.userInfo},
))

_stub(v) := {"metadata": object.filter(v.metadata, ["name", "generateName"])} if {
	is_object(v)
	is_object(v.metadata)
} else := {} if {
	is_object(v)
} else := v

_user(u) := object.filter(u, ["username"]) if is_object(u)

else := u
