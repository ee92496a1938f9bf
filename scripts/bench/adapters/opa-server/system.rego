# The OPA server's default decision (POST /): the same wasmgate decision, answered as the AdmissionReview
# response wasmgate's webhook sends (src/admission/respond.ts): status 403 with one line per deny
# violation, warnings for warn violations. This is how kube-mgmt deployments serve OPA as a webhook.
package system

import data.wasmgate.main as wasmgate

main := {
	"apiVersion": input.apiVersion,
	"kind": "AdmissionReview",
	"response": object.union_n([{"uid": input.request.uid, "allowed": _decision.allowed}, _status, _warnings]),
}

_decision := wasmgate.decision

_line(v) := sprintf("[%s] %s", [v.policy, v.message])

_status := {} if _decision.allowed

_status := {"status": {"code": 403, "reason": "Forbidden", "message": concat("\n", [_line(v) | some v in _decision.violations; v.action == "deny"])}} if {
	not _decision.allowed
}

_warn_lines := [_line(v) | some v in _decision.violations; v.action == "warn"]

_warnings := {} if count(_warn_lines) == 0

_warnings := {"warnings": _warn_lines} if count(_warn_lines) > 0
